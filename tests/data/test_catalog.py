"""Contracts on the shipped formulation catalog: size, coverage, sources, limits, versions."""

from __future__ import annotations

import shutil
import typing
from collections.abc import Callable
from pathlib import Path

import pytest

from formulations.catalog import CATALOG_DIR, Catalog, load_catalog, strictest_limit
from formulations.diff import diff_catalogs
from formulations.modules import generate_modules
from formulations.schema import ProductType
from formulations.validate import validate_catalog
from skinlab.errors import CatalogInvalid

EditCatalog = Callable[..., Path]


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog()


@pytest.fixture
def catalog_copy(tmp_path: Path) -> EditCatalog:
    """Copy the shipped catalog to a new folder, replacing ``old`` by ``new`` in ``file``.

    ``after`` names a line the replacement must come after (to target one item).
    """
    copies = iter(range(1000))

    def make(file: str | None = None, old: str = "", new: str = "", *, after: str = "") -> Path:
        folder = tmp_path / f"catalog_{next(copies)}"
        shutil.copytree(CATALOG_DIR, folder)
        if file is not None:
            path = folder / file
            text = path.read_text(encoding="utf-8")
            start = text.index(after) if after else 0
            at = text.index(old, start)
            path.write_text(text[:at] + new + text[at + len(old) :], encoding="utf-8")
        return folder

    return make


def test_the_catalog_is_big_enough(catalog: Catalog) -> None:
    assert len(catalog.ingredients) >= 150
    assert len(catalog.modules) >= 1000
    assert len(catalog.bases) >= 8


def test_bases_cover_every_product_type(catalog: Catalog) -> None:
    covered = {base.product_type for base in catalog.bases.values()}
    assert covered == set(typing.get_args(ProductType))


def test_every_regulatory_number_has_a_source(catalog: Catalog) -> None:
    limits = [(i.id, limit) for i in catalog.ingredients.values() for limit in i.limits]
    assert limits, "the catalog has no regulatory limits at all"
    unsourced = [i for i, limit in limits if len(limit.source.strip()) < 8]
    assert unsourced == []
    for substance in catalog.prohibited.values():
        assert substance.sources and all(s.strip() for s in substance.sources), substance.id


def test_no_ingredient_is_a_prohibited_substance(catalog: Catalog) -> None:
    prohibited_cas = {cas for p in catalog.prohibited.values() for cas in p.cas}
    assert prohibited_cas, "prohibited substances carry CAS numbers"
    assert set(catalog.ingredients) & set(catalog.prohibited) == set()
    clashes = {i.id: i.cas for i in catalog.ingredients.values() if set(i.cas) & prohibited_cas}
    assert clashes == {}


def test_the_shipped_catalog_validates_without_errors(catalog: Catalog) -> None:
    report = validate_catalog(catalog)
    assert report.errors == []
    assert report.ok
    assert report.counts["product_types"] == 9


def test_every_module_respects_the_strictest_leave_on_face_limit(catalog: Catalog) -> None:
    over = [
        (module.id, part.id, part.pct, limit.max_pct)
        for module in catalog.modules.values()
        for part in module.composition
        if (limit := strictest_limit(catalog.ingredients[part.id], "leave_on", "face")) is not None
        and part.pct > limit.max_pct + 1e-9
    ]
    assert over == []


def test_every_module_doses_its_actives_within_their_use_range(catalog: Catalog) -> None:
    outside = [
        (module.id, active, dose)
        for module in catalog.modules.values()
        for active, dose in module.actives.items()
        if dose > catalog.ingredients[active].typical_use_pct[1] + 1e-9
    ]
    assert outside == []


def test_module_generation_is_deterministic(catalog: Catalog) -> None:
    first, dropped_first = generate_modules(catalog)
    second, dropped_second = generate_modules(catalog)
    assert list(first) == list(second) == list(catalog.modules)
    assert dropped_first == dropped_second
    assert first == second


def test_a_verbatim_copy_has_the_same_version(catalog: Catalog, catalog_copy: EditCatalog) -> None:
    assert load_catalog(catalog_copy()).version == catalog.version


def test_editing_a_cost_changes_the_version(catalog: Catalog, catalog_copy: EditCatalog) -> None:
    edited = catalog_copy(
        "ingredients_actives.yaml",
        "cost_per_kg_rmb: 150",
        "cost_per_kg_rmb: 175",
        after="- id: niacinamide\n",
    )
    changed = load_catalog(edited)
    assert changed.ingredients["niacinamide"].cost_per_kg_rmb == 175
    assert changed.version != catalog.version
    assert changed.version.startswith("cat-")


def test_reloading_an_edited_folder_gives_the_new_version(catalog_copy: EditCatalog) -> None:
    # A long-lived process (the API, a notebook) that reloads a catalog folder after an edit
    # must not keep serving the old content under the old version.
    folder = catalog_copy()
    before = load_catalog(folder)
    path = folder / "ingredients_actives.yaml"
    path.write_text(
        path.read_text(encoding="utf-8").replace("cost_per_kg_rmb: 150", "cost_per_kg_rmb: 175"),
        encoding="utf-8",
    )
    after = load_catalog(folder)
    assert after.ingredients["niacinamide"].cost_per_kg_rmb == 175
    assert after.version != before.version


def test_broken_yaml_is_refused_with_the_file_name(catalog_copy: EditCatalog) -> None:
    folder = catalog_copy("bases.yaml", "version:", "version: [unclosed")
    with pytest.raises(CatalogInvalid) as caught:
        load_catalog(folder)
    assert caught.value.code == "CATALOG_INVALID"
    assert "bases.yaml" in caught.value.message
    assert "YAML" in caught.value.message


def test_a_schema_break_names_the_file_the_item_and_the_field(
    catalog_copy: EditCatalog,
) -> None:
    folder = catalog_copy(
        "ingredients_actives.yaml",
        "cost_per_kg_rmb: 150",
        "cost_per_kg_rmb: -3",
        after="- id: niacinamide\n",
    )
    with pytest.raises(CatalogInvalid) as caught:
        load_catalog(folder)
    error = caught.value
    assert "ingredients_actives.yaml" in error.message
    assert "niacinamide" in error.message
    assert error.details["file"] == "ingredients_actives.yaml"
    assert [e["loc"] for e in error.details["errors"]] == [("cost_per_kg_rmb",)]


def test_a_missing_file_is_refused(catalog_copy: EditCatalog) -> None:
    folder = catalog_copy()
    (folder / "prohibited.yaml").unlink()
    with pytest.raises(CatalogInvalid) as caught:
        load_catalog(folder)
    assert any("prohibited.yaml" in path for path in caught.value.details["missing"])


def test_diff_reports_the_edited_ingredient_field(
    catalog: Catalog, catalog_copy: EditCatalog
) -> None:
    edited = catalog_copy(
        "ingredients_actives.yaml",
        "cost_per_kg_rmb: 150",
        "cost_per_kg_rmb: 175",
        after="- id: niacinamide\n",
    )
    diff = diff_catalogs(catalog, load_catalog(edited))
    assert diff["ingredients"]["changed"] == {
        "niacinamide": {"cost_per_kg_rmb": {"old": 150.0, "new": 175.0}}
    }
    assert diff["ingredients"]["added"] == diff["ingredients"]["removed"] == []
    assert diff["modules"] == {"added": [], "removed": [], "changed": {}}
    assert diff["old_version"] != diff["new_version"]
