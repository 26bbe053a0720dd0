"""Pure scheduling rules: plain values in, plain values out; no Flask, no SQLAlchemy."""
