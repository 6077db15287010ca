"""A store's stock-out list: kept per store, and respected by every formula for that store."""

from __future__ import annotations

from fastapi.testclient import TestClient

NEEDS = {
    "scores": {"spots": 80, "pores": 60, "oiliness": 70, "redness": 30},
    "skin_type": "oily",
    "product_type": "serum",
}


def test_stock_outs_are_stored_per_store(client: TestClient) -> None:
    assert client.get("/stores/shanghai-01/stock").json() == {"out_of_stock": []}
    first = client.post("/formulate", json=NEEDS).json()["formula"]["modules"][0]["id"]
    response = client.put("/stores/shanghai-01/stock", json={"out_of_stock": [first]})
    assert response.status_code == 200
    assert client.get("/stores/shanghai-01/stock").json() == {"out_of_stock": [first]}
    assert client.get("/stores/beijing-02/stock").json() == {"out_of_stock": []}


def test_a_formula_for_a_store_never_uses_its_stock_outs(client: TestClient) -> None:
    chosen = [m["id"] for m in client.post("/formulate", json=NEEDS).json()["formula"]["modules"]]
    assert chosen
    client.put("/stores/shanghai-01/stock", json={"out_of_stock": chosen})
    in_store = client.post("/formulate", json={**NEEDS, "store_id": "shanghai-01"})
    assert in_store.status_code == 201
    used = {m["id"] for m in in_store.json()["formula"]["modules"]}
    assert used.isdisjoint(chosen)
    elsewhere = client.post("/formulate", json={**NEEDS, "store_id": "beijing-02"})
    assert [m["id"] for m in elsewhere.json()["formula"]["modules"]] == chosen


def test_unknown_modules_are_refused(client: TestClient) -> None:
    response = client.put("/stores/shanghai-01/stock", json={"out_of_stock": ["no-such-module"]})
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "UNKNOWN_MODULE"
    assert client.get("/stores/shanghai-01/stock").json() == {"out_of_stock": []}


def test_bad_store_ids_are_a_client_error(client: TestClient) -> None:
    response = client.put("/stores/bad%20id/stock", json={"out_of_stock": []})
    assert response.status_code == 422
