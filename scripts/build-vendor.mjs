// Copies the browser bundles of the npm dependencies into the plugin's static/vendor folder.
// Run after `npm ci`; the wheel ships what this writes. Nothing here is committed.
import { copyFileSync, mkdirSync, rmSync, existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const out = join(root, "src", "sis_appointments", "static", "vendor");
const bundles = {
  "fullcalendar/index.global.min.js": "fullcalendar.min.js",
  "socket.io-client/dist/socket.io.min.js": "socket.io.min.js",
  "chart.js/dist/chart.umd.min.js": "chart.umd.min.js",
  "swagger-ui-dist/swagger-ui.css": "swagger-ui/swagger-ui.css",
  "swagger-ui-dist/swagger-ui-bundle.js": "swagger-ui/swagger-ui-bundle.js",
};

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
for (const [source, target] of Object.entries(bundles)) {
  const from = join(root, "node_modules", source);
  if (!existsSync(from)) {
    console.error(`missing ${from}: run npm ci first`);
    process.exit(1);
  }
  mkdirSync(dirname(join(out, target)), { recursive: true });
  copyFileSync(from, join(out, target));
  console.log(`vendor/${target} <- ${source}`);
}
