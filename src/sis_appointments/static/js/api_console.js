// The staff API page's console: Swagger UI (swagger-ui-dist's bundle, vendored) over the
// OpenAPI document named by #appt-api-console's data-spec-url. The API accepts the page's
// session only with the page's CSRF token in X-CSRFToken (README, "REST API"), so every
// request to this site gets the token of data-csrf-token; requests elsewhere get nothing.
// Without this file the page still explains the API and links the document.
//
// Its layout is our own (ApptConsoleLayout), Swagger UI's BaseLayout less what the page
// says already: no second title (an h1 inside the page) and the operations in a <div>, not
// a second <main> landmark inside the host's.

const holder = document.getElementById("appt-api-console");
const fallback = document.querySelector("[data-appt-console-fallback]");

function sameOrigin(url) {
  try {
    return new URL(url, window.location.href).origin === window.location.origin;
  } catch {
    return false;
  }
}

function consoleLayout(system) {
  const h = system.React.createElement;

  function ApptConsoleLayout({ specSelectors, getComponent }) {
    const SvgAssets = getComponent("SvgAssets");
    const Errors = getComponent("errors", true);
    const Operations = getComponent("operations", true);
    const Servers = getComponent("ServersContainer", true);
    const Authorize = getComponent("AuthorizeBtnContainer", true);
    const Row = getComponent("Row");
    const Col = getComponent("Col");
    const status = specSelectors.loadingStatus();
    if (status === "failed" || status === "failedConfig") {
      return h("div", { className: "swagger-ui" }, h("div", { className: "info" },
        h("p", { role: "alert" }, "The API's document did not load: reload the page."),
        h(Errors)));
    }
    if (status === "loading" || !specSelectors.specStr()) {
      return h("div", { className: "swagger-ui" }, h("div", { className: "loading-container" },
        h("div", { className: "loading", role: "status", "aria-label": "Loading the API's document" })));
    }
    const servers = specSelectors.servers();
    return h("div", { className: "swagger-ui" }, h(SvgAssets), h(Errors),
      h("div", { className: "scheme-container" },
        h(Col, { className: "schemes wrapper", mobile: 12 },
          servers && servers.size ? h(Servers) : null,
          specSelectors.securityDefinitions() ? h(Authorize) : null)),
      h("div", { className: "appt-api-operations" },
        h(Row, null, h(Col, { mobile: 12, desktop: 12 }, h(Operations)))));
  }

  return { components: { ApptConsoleLayout } };
}

// Swagger UI leaves its form fields without labels, its code blocks scrolling without a way
// in by keyboard, and every operation's responses a region named alike: mended as it
// renders them.
function mend() {
  const unlabelled = "input:not([type=hidden]):not([aria-label]), textarea:not([aria-label]),"
    + " select:not([aria-label])";
  for (const field of holder.querySelectorAll(unlabelled)) {
    if (field.labels && field.labels.length) continue;
    const param = field.closest("tr[data-param-name]");
    const name = param ? `${param.dataset.paramName} (${param.dataset.paramIn})`
      : field.closest(".body-param") ? "Request body (JSON)" : field.placeholder;
    field.setAttribute("aria-label", name || "Value");
  }
  for (const region of holder.querySelectorAll("[role=region]:not([aria-label])")) {
    const operation = region.closest(".opblock");
    const method = operation?.querySelector(".opblock-summary-method")?.textContent || "";
    const path = operation?.querySelector("[data-path]")?.dataset.path || "";
    region.setAttribute("aria-label", `Responses of ${method} ${path}`.trim());
  }
  for (const block of holder.querySelectorAll(".curl, .highlight-code > pre")) {
    if (!block.hasAttribute("tabindex")) block.setAttribute("tabindex", "0");
  }
}

function start() {
  const { specUrl, csrfToken } = holder.dataset;
  window.SwaggerUIBundle({
    url: specUrl,
    domNode: holder,
    presets: [window.SwaggerUIBundle.presets.apis],
    plugins: [consoleLayout],
    layout: "ApptConsoleLayout",
    deepLinking: false,
    docExpansion: "none",
    defaultModelsExpandDepth: -1, // the schemas show under each operation already
    validatorUrl: null, // no badge fetched from swagger.io
    requestInterceptor(request) {
      if (csrfToken && sameOrigin(request.url)) {
        request.headers["X-CSRFToken"] = csrfToken;
      }
      return request;
    },
  });
  new MutationObserver(mend).observe(holder, { childList: true, subtree: true });
  if (fallback) fallback.hidden = true;
}

if (holder && typeof window.SwaggerUIBundle === "function") {
  start();
} else if (holder) {
  window.addEventListener("load", () => {
    if (typeof window.SwaggerUIBundle === "function") start();
  }, { once: true });
}
