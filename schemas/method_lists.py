"""The HTTP contract a method provider offers when it registers a component-list endpoint:
GET <endpoint>?url=<page url> answers with a ComponentList for that page."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from schemas.events import ComponentKind
from schemas.values import Quantity


class ListedComponent(BaseModel):
    model_config = ConfigDict(extra="ignore")

    text: str = Field(min_length=1, max_length=500, description="The line as the provider writes it")
    name: str | None = Field(default=None, description="When absent, Kitting parses it from `text`")
    quantity: Quantity | None = Field(default=None, description="When absent, Kitting parses it from `text`")
    kind: ComponentKind = ComponentKind.ingredient
    group: str | None = None
    optional: bool = False


class ComponentList(BaseModel):
    model_config = ConfigDict(extra="ignore")

    url: str
    title: str | None = None
    method_yield: str | None = None
    components: list[ListedComponent] = Field(max_length=500)
