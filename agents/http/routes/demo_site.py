"""The demo upstream site `kitting up` serves (agents/http/demo_site.py): its pages, carrying the
snippet with the site's key, and its component-list endpoint. Not part of the documented API."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request, Response
from fastapi.responses import HTMLResponse

from agents.http import demo_site
from agents.http.services import ServicesDep

router = APIRouter(include_in_schema=False)


@router.get("/demo-site/components")
async def demo_site_components(url: str) -> Response:
    """The demo method provider's component-list endpoint (schemas/method_lists.py)."""
    listed = demo_site.component_list(url)
    if listed is None:
        raise HTTPException(404, f"the demo site has no component list for {url}")
    return Response(listed, media_type="application/json")


@router.get("/demo-site/", response_class=HTMLResponse)
async def demo_site_home(request: Request) -> HTMLResponse:
    """The demo method provider's home page: its recipes and guides (public, as a site's home is)."""
    return HTMLResponse(demo_site.index_page(str(request.base_url)))


@router.get("/demo-site/{page}", response_class=HTMLResponse)
async def demo_site_page(page: str, services: ServicesDep) -> HTMLResponse:
    """The demo method provider's pages (recipes and DIY guides), carrying the snippet."""
    served = demo_site.served_page(page, services.demo_key)
    if served is None:
        raise HTTPException(404, f"no demo page {page!r}")
    return HTMLResponse(served)
