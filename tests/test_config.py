"""pygeoapi-config.yml is generated from the registries and must not drift from them."""

from __future__ import annotations

from pathlib import Path

import yaml

from gis.settings import CitySettings
from ogc.config import pygeoapi_config, render
from registries.catalog import default_catalog

ROOT = Path(__file__).resolve().parent.parent


def test_committed_pygeoapi_config_is_in_sync_with_the_registries() -> None:
    generated = render(pygeoapi_config(default_catalog(), CitySettings()))
    committed = (ROOT / "pygeoapi-config.yml").read_text(encoding="utf-8")
    assert committed == generated, "run `make config` and commit pygeoapi-config.yml"


def test_every_public_registry_is_a_collection_on_its_public_view() -> None:
    config = yaml.safe_load((ROOT / "pygeoapi-config.yml").read_text(encoding="utf-8"))
    catalog = default_catalog()
    assert set(config["resources"]) == {r.id for r in catalog if r.public}
    for reg in catalog:
        provider = config["resources"][reg.id]["providers"][0]
        assert provider["table"] == reg.public_view[1]
        assert provider["data"]["search_path"][0] == reg.public_view[0]
        assert provider["storage_crs"].endswith("/6383")
        assert config["resources"][reg.id]["title"]["uk"] == reg.title["uk"]
