"""The PyTorch project scaffolds (src/scaffold/templates/pytorch): each architecture is generated
with the built CLI, trained with --smoke, resumed, evaluated, and its own tests are run; the CNN
and the Transformer also train under torchrun with two processes.

    npm run build && /usr/bin/python3 -m pytest test/python/test_pytorch_scaffolds.py -q -p no:cacheprovider

Synthetic data only: nothing is downloaded.
"""
from dataclasses import dataclass
from pathlib import Path

import pytest

from harness.scaffolds import (
    PYTHON, TEMPLATES, check_epochs, generate, is_png, read_run_log, run, run_two_processes,
)

ARCHITECTURES = ["cnn", "rnn", "gan", "transformer", "autoencoder"]
IMAGES = {"gan", "autoencoder"}  # write sample PNGs and have sample.py
MAIN_LOSS = {"gan": "d_loss"}  # the loss that must fall in a smoke run (else "loss")
COMMON_FILES = [
    "README.md", "requirements.txt", "config.toml", "model.py", "data.py", "train.py", "evaluate.py", "engine.py",
    "pytest.ini", ".gitignore", ".vscode/launch.json", ".vscode/tasks.json", "tests/conftest.py",
    "tests/test_engine.py", "tests/test_model.py",
]


@dataclass
class Trained:
    architecture: str
    folder: Path
    run_dir: Path
    first_rows: list
    first_run: dict
    rows: list
    run: dict
    resume_output: str
    train_seconds: float


@pytest.fixture(scope="module", params=ARCHITECTURES)
def trained(request, tmp_path_factory):
    """A generated project after `train.py --smoke --epochs 2` and then `train.py --resume --epochs 3`."""
    architecture = request.param
    folder = generate(architecture, tmp_path_factory.mktemp(architecture))
    _, seconds = run([PYTHON, "train.py", "--smoke", "--epochs", "2"], folder)
    print(f"\n{architecture}: train.py --smoke --epochs 2 took {seconds:.1f}s")
    run_dirs = sorted((folder / "runs").iterdir())
    assert len(run_dirs) == 1, f"expected one run, got {run_dirs}"
    first_rows, first_run = read_run_log(run_dirs[0])
    resume_output, _ = run([PYTHON, "train.py", "--resume", "--epochs", "3"], folder)
    rows, run_json = read_run_log(run_dirs[0])
    return Trained(architecture, folder, run_dirs[0], first_rows, first_run, rows, run_json, resume_output, seconds)


def test_generated_project_files(trained):
    folder = trained.folder
    expected = COMMON_FILES + (["sample.py", "images.py"] if trained.architecture in IMAGES else [])
    for name in expected:
        assert (folder / name).is_file(), f"{name} is missing"
    generated = [p for p in folder.rglob("*") if p.is_file() and "runs" not in p.parts and "checkpoints" not in p.parts
                 and "__pycache__" not in p.parts]
    for path in generated:
        assert not path.name.endswith(".tmpl")
        if path.suffix in (".py", ".md", ".toml", ".json", ".txt", ".ini", ""):
            text = path.read_text(encoding="utf-8")
            assert "{{" not in text, f"{path.relative_to(folder)} has an unreplaced placeholder"
            if path.suffix == ".py":
                compile(text, str(path), "exec")
            if path.suffix == ".json":
                __import__("json").loads(text)
    requirements = (folder / "requirements.txt").read_text()
    for requirement in ("torch>=1.13", "numpy", "tqdm", 'tomli; python_version < "3.11"', "# tensorboard"):
        assert requirement in requirements
    assert 'dataset = "synthetic"' in (folder / "config.toml").read_text()
    readme = (folder / "README.md").read_text()
    for topic in ("--resume", "torchrun", "--nnodes", "--node_rank", "--master_addr", "metrics.jsonl", "run.json",
                  "training monitor", "pytest", "config.toml"):
        assert topic in readme, f"README.md does not mention {topic}"


def test_smoke_run_writes_the_run_log_and_the_loss_falls(trained):
    rows, run_json = trained.first_rows, trained.first_run
    check_epochs(rows, [1, 2])
    assert {row["epoch"] for row in rows} == {1, 2}
    loss = MAIN_LOSS.get(trained.architecture, "loss")
    train = [row for row in rows if row["split"] == "train"]
    assert train[-1][loss] < train[0][loss], f"{loss} did not fall: {train[0][loss]} -> {train[-1][loss]}"
    assert run_json["status"] == "finished" and run_json["ended"] is not None
    assert run_json["planned_epochs"] == 2
    assert run_json["planned_steps"] == train[-1]["step"]  # 2 epochs x steps per epoch
    assert run_json["config"]["run.smoke"] is True
    checkpoints = trained.folder / "checkpoints" / trained.run_dir.name
    assert (checkpoints / "best.pt").is_file() and (checkpoints / "last.pt").is_file()


def test_resume_continues_with_epoch_3(trained):
    first, rows = trained.first_rows, trained.rows
    assert "resuming" in trained.resume_output
    assert rows[: len(first)] == first  # appended, never rewritten
    new = rows[len(first):]
    assert new and {row["epoch"] for row in new} == {3}  # no epoch 1-2 training again
    check_epochs(rows, [1, 2, 3])
    last_step = max(row["step"] for row in first)
    steps_per_epoch = last_step // 2
    assert min(row["step"] for row in new) > last_step
    assert max(row["step"] for row in new) == 3 * steps_per_epoch
    assert trained.run["status"] == "finished"
    assert trained.run["planned_epochs"] == 3 and trained.run["planned_steps"] == 3 * steps_per_epoch
    assert trained.run["started"] == trained.first_run["started"]


def test_project_tests_pass(trained):
    output, _ = run([PYTHON, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"], trained.folder, timeout=180)
    assert " passed" in output and "failed" not in output


def test_evaluate_and_sample(trained):
    output, _ = run([PYTHON, "evaluate.py", "--log"], trained.folder)
    assert "test" in output
    rows, _ = read_run_log(trained.run_dir)
    test_rows = [row for row in rows if row["split"] == "test"]
    assert len(test_rows) == 1
    if trained.architecture not in IMAGES:
        assert 0.0 <= test_rows[0]["accuracy"] <= 1.0
        return
    samples = trained.run_dir / "samples"
    for epoch in (1, 2, 3):
        assert is_png(samples / f"epoch_{epoch:03d}.png")
    if trained.architecture == "autoencoder":
        assert is_png(samples / "recon_epoch_003.png") and is_png(samples / "evaluate_recon.png")
    else:
        assert is_png(samples / "evaluate.png")
    run([PYTHON, "sample.py", "--num", "16", "--nrow", "4", "--out", "grid.png"], trained.folder)
    run([PYTHON, "sample.py", "--interpolate", "--num", "16", "--nrow", "4", "--out", "walk.png"], trained.folder)
    assert is_png(trained.folder / "grid.png") and is_png(trained.folder / "walk.png")


@pytest.mark.parametrize("architecture", ["cnn", "transformer"])
def test_torchrun_with_two_processes(architecture, tmp_path):
    folder = generate(architecture, tmp_path)
    output, seconds = run_two_processes(["train.py", "--smoke", "--epochs", "1", "--run-name", "ddp"], folder)
    print(f"\n{architecture}: two processes took {seconds:.1f}s")
    assert sorted(p.name for p in (folder / "runs").iterdir()) == ["ddp"]
    rows, run_json = read_run_log(folder / "runs" / "ddp")
    check_epochs(rows, [1])
    # one writer: no row twice, and each process's half of the data gives half the steps
    assert len({(row["step"], row["split"]) for row in rows}) == len(rows)
    assert run_json["status"] == "finished" and run_json["config"]["processes"] == 2
    assert run_json["planned_steps"] == rows[-1]["step"] == 256 // 2 // 32
    assert output.count("run ddp on cpu x 2 processes") == 1
    assert (folder / "checkpoints" / "ddp" / "last.pt").is_file()


def test_templates_compile_as_they_are():
    sources = sorted((TEMPLATES / "pytorch").rglob("*.py"))
    assert len(sources) >= 20
    for path in sources:
        compile(path.read_text(encoding="utf-8"), str(path), "exec")


def test_files_two_architectures_share_live_once():
    """Text data (RNN, Transformer) and image grids (GAN, Autoencoder) come from one shared layer each."""
    pytorch = TEMPLATES / "pytorch"
    assert (pytorch / "_sequences" / "data.py").is_file() and (pytorch / "_generative" / "images.py").is_file()
    for arch, name in (("rnn", "data.py"), ("transformer", "data.py"), ("gan", "images.py"), ("autoencoder", "images.py")):
        assert not (pytorch / arch / name).exists(), f"{arch}/{name} duplicates the shared layer"