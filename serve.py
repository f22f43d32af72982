"""The server: the Streamlit app (app.py) plus two small HTTP routes that set and clear the HttpOnly login cookie.

    WAREHOUSE=data/warehouse.duckdb streamlit run serve.py --server.port 8501

Streamlit 1.67 runs an `st.App` found in the script on its Starlette server (ASGI). A script cannot set an HttpOnly
cookie itself (page JavaScript can only set readable ones), so after a login the page POSTs the signed value it was
given to /api/session, whose response carries `Set-Cookie: …; HttpOnly; SameSite=Strict`. Streamlit reads the
cookie from the WebSocket handshake after a reload (`st.context.cookies`), and pages/auth.py checks it against the
account store on every run. `streamlit run app.py` still works, only without surviving a reload.
"""
from __future__ import annotations

from urllib.parse import urlsplit

import streamlit as st
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from streamlit.runtime.pages_manager import PagesManager

from warehouse import session_cookie

# app.py builds its menu with st.navigation; the folder named pages/ must not make Streamlit fall back to its old
# "pages directory" mode, which it decides once per process on the first session: when that first session opens a
# deep link (/ranking_live) Streamlit would run pages/ranking_live.py alone, without app.py's login and sidebar.
PagesManager.uses_pages_directory = False


def _same_origin(request: Request) -> bool:
    """Refuse cross-site posts (a login-CSRF would plant someone else's session): Origin must be this host."""
    origin = request.headers.get("origin")
    return origin is not None and urlsplit(origin).netloc == request.headers.get("host")


async def open_session(request: Request) -> Response:
    if not _same_origin(request):
        return Response("forbidden", status_code=403)
    value = (await request.body())[:2048].decode("ascii", "replace").strip()
    if session_cookie.unsign(value) is None:
        return Response("bad session", status_code=400)
    response = Response(status_code=204)
    response.set_cookie(session_cookie.COOKIE_NAME, value, max_age=session_cookie.MAX_AGE_SECONDS, path="/",
                        httponly=True, samesite="strict", secure=request.url.scheme == "https")
    return response


async def close_session(request: Request) -> Response:
    if not _same_origin(request):
        return Response("forbidden", status_code=403)
    response = Response(status_code=204)
    response.delete_cookie(session_cookie.COOKIE_NAME, path="/", httponly=True, samesite="strict")
    return response


app = st.App("app.py", routes=[
    Route("/api/session", open_session, methods=["POST"]),
    Route("/api/session/end", close_session, methods=["POST"]),
])
