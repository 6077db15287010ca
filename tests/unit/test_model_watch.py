"""The model watch: champions swapped in whole, failed loads kept out, the poller, files mode."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, cast

import numpy as np
import pytest
from numpy.typing import NDArray

from models.propensity_scorer import PropensityScorer
from models.results import SkinAnalysis
from serving.model_watch import ModelSourceIsFiles, ModelWatch, Served
from skinlab.settings import Settings


class NamedAnalyzer:
    """An analyzer that only says which heads it was loaded from."""

    def __init__(self, model_version: str) -> None:
        self.model_version = model_version

    def analyze(self, rgb: NDArray[np.uint8], *, overlays: bool = False) -> SkinAnalysis:
        raise NotImplementedError

    def versions(self) -> dict[str, str]:
        return {"skin_model": self.model_version}


class FakeRegistry:
    """Champion versions to look up, artifact folders named after them, loads to break."""

    def __init__(self, **champions: int | None) -> None:
        self.champions: dict[str, int | None] = {"skin-heads": None, "propensity": None}
        self.champions.update({k.replace("_", "-"): v for k, v in champions.items()})
        self.broken: set[str] = set()  # folder names whose load raises
        self.down = False
        self.loads: list[str] = []

    def champion(self, _settings: Settings, model_type: str) -> int | None:
        if self.down:
            raise ConnectionError("registry unreachable")
        return self.champions[model_type]

    def artifacts(self, _settings: Settings, model_type: str, version: int) -> Path:
        return Path(f"/registry/{model_type}/{version}")

    def heads(self, _settings: Settings, folder: Path) -> NamedAnalyzer:
        self.loads.append(f"heads {folder.name}")
        if folder.name in self.broken:
            raise ValueError(f"skin_heads/{folder.name} is corrupt")
        return NamedAnalyzer(f"heads-{folder.name}")

    def scorer(self, folder: Path) -> PropensityScorer:
        self.loads.append(f"scorer {folder.name}")
        return cast(PropensityScorer, type("Scorer", (), {"version": f"prop-{folder.name}"})())


WatchFactory = Callable[..., ModelWatch]


@pytest.fixture
def watch_factory(settings_factory: Callable[..., Settings]) -> WatchFactory:
    def make(registry: FakeRegistry, **settings: Any) -> ModelWatch:
        values: dict[str, Any] = {"model_source": "registry", "model_poll_seconds": 0, **settings}
        return ModelWatch(
            settings_factory(**values),
            lambda _settings: NamedAnalyzer("shipped"),
            heads_loader=registry.heads,
            scorer_loader=registry.scorer,
            champion=registry.champion,
            artifacts=registry.artifacts,
        )

    return make


def test_a_new_champion_is_swapped_in_and_a_held_one_stays_whole(
    watch_factory: WatchFactory,
) -> None:
    registry = FakeRegistry(skin_heads=1)
    watch = watch_factory(registry)
    assert watch.check() == {"skin-heads": "reloaded", "propensity": "reloaded"}
    assert watch.served() == {"skin-heads": Served("registry", 1), "propensity": Served("files")}
    assert watch.ranking.scorer().version == "prop-propensity"  # models_dir while no champion
    held = watch.analyzers.require()  # what a request in flight holds

    registry.champions["skin-heads"] = 2
    assert watch.check() == {"skin-heads": "reloaded", "propensity": "unchanged"}
    assert held.model_version == "heads-1"
    assert watch.analyzers.require().model_version == "heads-2"
    assert watch.check() == {"skin-heads": "unchanged", "propensity": "unchanged"}
    assert registry.loads == ["heads 1", "scorer propensity", "heads 2"]


def test_a_failed_load_keeps_the_old_model_and_is_reported_until_a_load_succeeds(
    watch_factory: WatchFactory,
) -> None:
    registry = FakeRegistry(skin_heads=1, propensity=1)
    watch = watch_factory(registry)
    watch.check()
    registry.champions["skin-heads"] = 2
    registry.broken.add("2")
    assert watch.check()["skin-heads"] == "failed"
    assert watch.analyzers.require().model_version == "heads-1"
    assert watch.analyzers.status == "ready"
    assert "version 2: ValueError: skin_heads/2 is corrupt" in watch.failures()["skin-heads"]
    assert watch.served()["skin-heads"] == Served("registry", 1)

    watch.check()  # the poller does not retry the same broken version
    assert registry.loads.count("heads 2") == 1
    assert watch.check(retry_failed=True)["skin-heads"] == "failed"  # the admin endpoint does
    assert registry.loads.count("heads 2") == 2

    registry.champions["skin-heads"] = 3
    assert watch.check()["skin-heads"] == "reloaded"
    assert watch.failures() == {}
    assert watch.analyzers.require().model_version == "heads-3"


def test_an_unreachable_registry_at_start_up_fails_readiness_until_it_answers(
    watch_factory: WatchFactory,
) -> None:
    registry = FakeRegistry(skin_heads=1)
    registry.down = True
    watch = watch_factory(registry)
    assert watch.check() == {"skin-heads": "failed", "propensity": "failed"}
    assert watch.analyzers.status == "failed"
    assert "the registry: ConnectionError" in (watch.analyzers.failure or "")
    assert watch.ranking.loaded_scorer is None
    registry.down = False
    assert watch.check() == {"skin-heads": "reloaded", "propensity": "reloaded"}
    assert (watch.analyzers.status, dict(watch.failures())) == ("ready", {})


def test_the_poller_picks_up_a_promotion(watch_factory: WatchFactory) -> None:
    registry = FakeRegistry(skin_heads=1, propensity=4)
    watch = watch_factory(registry, model_poll_seconds=0.02)
    thread = watch.start()
    assert thread is not None and watch.wait_first_check(timeout=5)
    assert watch.analyzers.wait(timeout=5)
    registry.champions["propensity"] = 5
    deadline = time.monotonic() + 5
    while watch.served()["propensity"] != Served("registry", 5) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert watch.ranking.scorer().version == "prop-5"
    watch.stop()
    thread.join(timeout=5)
    assert not thread.is_alive()


def test_files_mode_loads_models_dir_and_has_nothing_to_reload(
    watch_factory: WatchFactory,
) -> None:
    registry = FakeRegistry(skin_heads=1)
    watch = watch_factory(registry, model_source="files")
    assert watch.start() is None
    assert watch.analyzers.wait(timeout=5)
    assert watch.analyzers.require().model_version == "shipped"
    assert watch.served() == {"skin-heads": Served("files"), "propensity": Served("files")}
    with pytest.raises(ModelSourceIsFiles):
        watch.check()
    assert registry.loads == []
