"""The web front: a landing page, and front-end packages served from the npm install made
at set-up time (no CDN at run time)."""

from __future__ import annotations

import os

from flask import Blueprint, abort, current_app, render_template_string, send_from_directory

bp = Blueprint("web", __name__)

# Only these installed npm packages are served.
VENDOR_PACKAGES = {"swagger-ui-dist", "socket.io-client"}

LANDING = """<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>会诊 Huizhen</title></head>
<body>
<h1>会诊 Huizhen</h1>
<p>远程会诊与专家下沉排班服务 · Telemedicine consultation scheduling.</p>
<ul>
  <li><a href="/api/v1/docs">API 文档 / API documentation</a></li>
  <li><a href="/api/v1/openapi.json">OpenAPI</a></li>
</ul>
</body></html>"""


@bp.get("/")
def index():
    return render_template_string(LANDING)


@bp.get("/vendor/<package>/<path:filename>")
def vendor(package: str, filename: str):
    if package not in VENDOR_PACKAGES:
        abort(404)
    root = os.path.join(os.path.dirname(current_app.root_path), "node_modules", package)
    return send_from_directory(root, filename, max_age=86400)
