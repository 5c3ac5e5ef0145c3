"""The array-namespace layer (somwidget.backend) and the device path of SOM(device=...).

No GPU here: the layer runs with numpy, and with a namespace that wraps numpy and records every
call, to show that the device path's BMU search and batch sums go through the layer.
"""

from __future__ import annotations

import subprocess
import sys
import types
from pathlib import Path

import numpy as np
import pytest
from scipy.spatial.distance import cdist

from somwidget import SOM, backend

ROOT = Path(__file__).resolve().parents[1]


class RecordingNamespace(backend.NumpyNamespace):
    """numpy, but every array operation the kernels ask for is recorded by name."""

    name = "recording"

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[str] = []

    def __getattribute__(self, attr: str):
        value = object.__getattribute__(self, attr)
        if attr in {"asarray", "to_numpy", "empty", "zeros", "astype", "matmul", "argmin",
                    "bincount", "index_add", "concat"}:
            object.__getattribute__(self, "calls").append(attr)
        return value


@pytest.fixture
def recording(monkeypatch):
    ns = RecordingNamespace()
    real = backend.namespace_for_device
    monkeypatch.setattr(backend, "namespace_for_device",
                        lambda device, importer=None: ns if device == "cuda" else real(device))
    return ns


def _data(n=1500, d=4, seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, d)) * np.arange(1, d + 1) + 5.0


def test_get_namespace_is_numpy_for_numpy_and_refuses_mixed_libraries():
    assert backend.get_namespace(np.zeros(3), [1, 2]).name == "numpy"
    fake_cupy = type("ndarray", (), {"__module__": "cupy._core.core"})()
    fake_torch = type("Tensor", (), {"__module__": "torch"})()
    with pytest.raises(TypeError, match="cannot be mixed"):
        backend.get_namespace(fake_cupy, fake_torch)


def test_block_bmus_is_the_exact_argmin_and_block_sums_the_per_unit_sums():
    rng = np.random.default_rng(3)
    X = rng.normal(size=(700, 6))
    W = rng.normal(size=(13, 6))
    center = X.mean(axis=0)
    ns = backend.get_namespace(X)
    b = backend.block_bmus(ns, X, backend.augmented_codebook(W, center), center, chunk_size=97)
    np.testing.assert_array_equal(b, cdist(X, W).argmin(axis=1))  # no near ties in this data
    S, n = backend.block_sums(ns, X, b, 13)
    S_ref = np.zeros((13, 6))
    np.add.at(S_ref, b, X)
    np.testing.assert_allclose(S, S_ref, rtol=1e-12, atol=1e-12)
    np.testing.assert_array_equal(n, np.array([(b == j).sum() for j in range(13)], dtype=float))


def test_in_memory_dask_and_device_training_share_one_sums_kernel(monkeypatch, recording):
    # one implementation of the per-block sums: in-memory epochs, Dask partitions and the device
    # path all reach backend.block_sums, with the namespace of their arrays
    seen: list[str] = []
    real = backend.block_sums

    def spy(ns, X, bmus, n_neurons, chunk_rows=1 << 15):
        seen.append(ns.name)
        return real(ns, X, bmus, n_neurons, chunk_rows)

    monkeypatch.setattr(backend, "block_sums", spy)
    X = _data(600)
    cpu = SOM((4, 3), random_state=0).fit(X, epochs=4)
    assert seen == ["numpy"] * 4
    seen.clear()
    SOM((4, 3), random_state=0, device="cuda").fit(X, epochs=3)
    assert seen == ["recording"] * 3
    # the sums themselves: per-unit sums and counts of the BMUs, computed independently
    b = cpu.predict(X)
    S, n = real(backend.get_namespace(X), X.astype(np.float32), b, 12, chunk_rows=101)
    np.testing.assert_allclose(S, [X[b == j].sum(axis=0) for j in range(12)], rtol=1e-6)
    np.testing.assert_array_equal(n, np.bincount(b, minlength=12))
    dask = pytest.importorskip("dask.array")
    seen.clear()
    SOM((4, 3), random_state=0).fit(dask.from_array(X, chunks=200), epochs=2)
    assert seen.count("numpy") == 2 * 3  # three partitions per epoch


def test_namespace_for_device_cpu_auto_and_clear_errors():
    none = lambda name: None  # noqa: E731 - neither library installed
    assert backend.namespace_for_device("cpu", none).name == "numpy"
    assert backend.namespace_for_device("auto", none).name == "numpy"
    with pytest.raises(RuntimeError, match="neither CuPy nor PyTorch is installed"):
        backend.namespace_for_device("cuda", none)
    runtime = types.SimpleNamespace(getDeviceCount=lambda: 0)
    cupy = types.SimpleNamespace(cuda=types.SimpleNamespace(runtime=runtime))
    with pytest.raises(RuntimeError, match="cupy is installed but sees no CUDA GPU"):
        backend.namespace_for_device("cuda", lambda name: cupy if name == "cupy" else None)
    torch = types.SimpleNamespace(cuda=types.SimpleNamespace(is_available=lambda: True),
                                  float32="f4", float64="f8")
    ns = backend.namespace_for_device("cuda", lambda name: torch if name == "torch" else None)
    assert isinstance(ns, backend.TorchNamespace) and ns.device == "cuda"
    with pytest.raises(ValueError, match="device must be one of"):
        backend.namespace_for_device("gpu", none)


def test_som_device_parameter_is_checked_and_cuda_without_a_gpu_says_what_is_missing():
    with pytest.raises(ValueError, match="device"):
        SOM(device="gpu").fit(_data(50), epochs=1)
    if backend.gpu_available() is None:
        with pytest.raises(RuntimeError, match="device='cuda' needs a CUDA GPU"):
            SOM((3, 3), device="cuda").fit(_data(50), epochs=1)
        # auto falls back to the CPU: the same map as device="cpu"
        a = SOM((4, 3), random_state=0, device="auto").fit(_data(300), epochs=3)
        b = SOM((4, 3), random_state=0).fit(_data(300), epochs=3)
        np.testing.assert_array_equal(a.codebook_, b.codebook_)


@pytest.mark.parametrize("spelling", ["CPU", "Auto", "CUDA"])
def test_device_matches_case_insensitively_everywhere(spelling, recording):
    # validation accepted "CPU", then fit and predict refused it deep in the backend
    X = _data(200)
    som = SOM((4, 3), random_state=0, device=spelling).fit(X, epochs=2)
    ref = SOM((4, 3), random_state=0, device=spelling.lower()).fit(X, epochs=2)
    np.testing.assert_array_equal(som.predict(X), ref.predict(X))
    np.testing.assert_allclose(som.codebook_, ref.codebook_, rtol=0, atol=1e-12)
    assert som.get_params()["device"] == spelling  # stored as given (scikit-learn)


@pytest.mark.parametrize("lattice", ["rect", "hexa"])
def test_device_training_goes_through_the_namespace_and_matches_the_cpu(recording, lattice):
    X = _data()
    cpu = SOM((6, 5), lattice=lattice, random_state=2).fit(X, epochs=6, subsample_ratio=0.7)
    dev = SOM((6, 5), lattice=lattice, random_state=2, device="cuda").fit(X, epochs=6,
                                                                          subsample_ratio=0.7)
    for op in ("asarray", "matmul", "argmin", "index_add", "bincount", "to_numpy"):
        assert op in recording.calls, op
    assert recording.calls.count("matmul") >= 6  # one product (or more) per epoch
    # float32 centred data on the device: the same map to float32 precision
    np.testing.assert_allclose(dev.codebook_, cpu.codebook_, rtol=0, atol=1e-5 * np.abs(X).max())
    recording.calls.clear()
    np.testing.assert_array_equal(dev.predict(X), cpu.predict(X))
    assert "matmul" in recording.calls and "argmin" in recording.calls


def test_device_path_refuses_other_metrics(recording):
    with pytest.raises(ValueError, match="distance_metric='euclidean' only"):
        SOM((3, 3), distance_metric="cityblock", device="cuda").fit(_data(100), epochs=1)


def test_device_fit_auto_and_history_work(recording):
    X = _data(400)
    dev = SOM((5, 4), random_state=1, device="cuda").fit_auto(X, collect_history=True)
    cpu = SOM((5, 4), random_state=1).fit_auto(X, collect_history=True)
    assert len(dev.history_) == len(cpu.history_)
    np.testing.assert_allclose(dev.history_["quantization_error"],
                               cpu.history_["quantization_error"], rtol=1e-5)


def test_bench_gpu_says_there_is_no_gpu_and_exits_0():
    if backend.gpu_available() is not None:
        pytest.skip("this machine has a GPU: the benchmark would run for real")
    r = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "bench_gpu.py")],
                       capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert r.returncode == 0, r.stderr
    assert "no CUDA GPU" in r.stdout


def test_bench_gpu_measurement_runs_through_the_layer(recording):
    import importlib.util

    spec = importlib.util.spec_from_file_location("bench_gpu", ROOT / "benchmarks" / "bench_gpu.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    r = mod.run(3000, 8, 5, recording, epochs=2)
    assert r["gemm_s"] > 0 and r["epoch_s"] > 0 and r["ratio"] == r["epoch_s"] / r["gemm_s"]
    assert recording.calls.count("index_add") >= 2


def test_device_path_refuses_sample_weight_and_missing_values(recording):
    X = _data(200)
    with pytest.raises(ValueError, match="sample_weight is not available with device='cuda'"):
        SOM((3, 3), device="cuda").fit(X, sample_weight=np.ones(200))
    X[5, 1] = np.nan
    with pytest.raises(ValueError, match="device='cuda' needs complete data"):
        SOM((3, 3), device="cuda", missing="ignore").fit(X)


@pytest.fixture
def torch_cpu(monkeypatch):
    """PyTorch's namespace on the CPU standing in for the GPU: the device path's code on real
    tensors (torch's matmul, argmin, index_add_, bincount), not numpy's (skipped without torch)."""
    torch = pytest.importorskip("torch")
    ns = backend.TorchNamespace(torch, device="cpu")
    ns.synchronize = lambda: None  # torch.cuda.synchronize needs CUDA
    real = backend.namespace_for_device
    monkeypatch.setattr(backend, "namespace_for_device",
                        lambda device, importer=None: ns if device == "cuda" else real(device))
    return ns


@pytest.mark.parametrize("lattice", ["rect", "hexa"])
def test_torch_tensors_train_the_cpu_map_and_predict_cdists_bmus(torch_cpu, lattice):
    X = _data(1200, 5, seed=4)
    cpu = SOM((6, 5), lattice=lattice, random_state=3).fit(X, epochs=6)
    dev = SOM((6, 5), lattice=lattice, random_state=3, device="cuda").fit(X, epochs=6)
    np.testing.assert_allclose(dev.codebook_, cpu.codebook_, rtol=0, atol=1e-5 * np.abs(X).max())
    want = cdist(X, dev.codebook_).argmin(axis=1)
    got = dev.predict(X)
    assert got.dtype == np.intp
    assert (got == want).mean() > 0.999  # float32 on the device: a near-tie may differ


def test_the_gpu_benchmark_runs_on_torch_tensors(torch_cpu):
    import importlib.util

    spec = importlib.util.spec_from_file_location("bench_gpu", ROOT / "benchmarks" / "bench_gpu.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    r = mod.run(3000, 8, 5, torch_cpu, epochs=2)
    # tiny sizes on the CPU: the marginal epoch is noise here, the run itself is the test
    assert r["gemm_s"] > 0 and np.isfinite(r["epoch_s"]) and np.isfinite(r["ratio"])


def test_bfloat16_and_grad_tensors_train_as_their_values():
    # torch's own errors came out of np.asarray: "Got unsupported ScalarType BFloat16",
    # "Can't call numpy() on Tensor that requires grad"
    torch = pytest.importorskip("torch")
    T = torch.randn(300, 4, generator=torch.Generator().manual_seed(0))
    for t in (T.to(torch.bfloat16), T.clone().requires_grad_(True), T.to(torch.float16)):
        values = t.detach().float().numpy()
        som = SOM((4, 3), random_state=0).fit(t, epochs=2)
        ref = SOM((4, 3), random_state=0).fit(values, epochs=2)
        np.testing.assert_allclose(som.codebook_, ref.codebook_, rtol=1e-12, atol=1e-12)
        np.testing.assert_array_equal(som.predict(t), ref.predict(values))
