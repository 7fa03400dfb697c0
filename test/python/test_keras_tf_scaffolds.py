"""Checks of the Keras 3 and low-level TensorFlow project scaffolds (src/scaffold/templates/{keras,tensorflow}).

Neither TensorFlow nor Keras can be installed on the build machines, so the proof is static where it
must be and real where it can be. Every project (5 architectures x 2 styles) is generated with the real
CLI (`node dist/cli.js scaffold`, built by `npm run build`) into a temporary folder, and then:

* every .py file compiles, and every template compiles as it is (before the placeholders are filled);
* every attribute path rooted at a keras / tensorflow import (resolved through the imports, as in
  test_keras_tf_snippets.py) is in keras_tf_public_api.txt: a typo or an invented API fails;
* Keras 3 only: `import keras`, never tf.keras / `from tensorflow import keras`; no tf.compat; .keras and
  .weights.h5 file names; no Keras 2 keywords (lr=, ...); the Keras style builds functional models and
  trains with fit(); the TensorFlow style trains with tf.GradientTape in a tf.function, tf.data and
  tf.train.Checkpoint / CheckpointManager; KERAS_BACKEND is chosen before Keras is imported where needed;
* config.toml parses, its keys are exactly the fields of the dataclasses in config.py, every `cfg.<section>.<key>`
  the code reads exists, and every key is read by the code (so nothing in config.toml is dead);
* the README shows only commands and flags that exist (checked against the argparse definitions) and
  documents every flag and the multi-GPU / multi-machine launch; launch.json / tasks.json are valid JSON
  pointing at files and flags that exist; requirements.txt and .gitignore hold what they must;
* the parts that need no TensorFlow really run: the projects' own tests of the configuration, the run log,
  the data and the PNG writer (pytest in a subprocess), and the Keras run-log callback driven by a stand-in
  fit() loop, which must write docs/run-log-format.md exactly.
"""
import ast
import importlib.util
import json
import re
import subprocess
import sys
import tomllib
import types
from pathlib import Path

import pytest

from test_keras_tf_snippets import API, API_FILE, REMOVED_KEYWORDS, ApiUse

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
CLI = REPO / "dist" / "cli.js"
TEMPLATES = REPO / "src" / "scaffold" / "templates"
STYLES = ("keras", "tensorflow")
ARCHITECTURES = ("cnn", "rnn", "gan", "transformer", "autoencoder")
PROJECTS = [(style, arch) for style in STYLES for arch in ARCHITECTURES]
IDS = [f"{style}-{arch}" for style, arch in PROJECTS]
OTHER_DATASET = {"cnn": "cifar10", "rnn": "imdb", "gan": "mnist", "transformer": "textfile", "autoencoder": "cifar10"}
GENERATIVE = ("gan", "autoencoder")
COMMON_FILES = {
    "README.md", "requirements.txt", ".gitignore", "config.toml", "config.py", "configlib.py", "data.py", "model.py",
    "train.py", "runtime.py", "runlog.py", ".vscode/launch.json", ".vscode/tasks.json", "tests/conftest.py",
    "tests/test_config.py", "tests/test_runlog.py", "tests/test_data.py", "tests/test_model.py",
}
# Modules that hold no training logic of their own: they neither read nor count as reading the config.
CONFIG_PLUMBING = {"config.py", "configlib.py"}


# ------------------------------------------------------------------------------------ generation


def _generate(out, style, arch, dataset=None):
    if not CLI.exists():
        pytest.fail(f"{CLI} is missing: run `npm run -s build` first (the test runner builds before the tests)", pytrace=False)
    args = ["node", str(CLI), "scaffold", "--arch", arch, "--style", style, "--out", str(out), "--json"]
    if dataset:
        args += ["--dataset", dataset, "--name", f"{arch}_{style}_{dataset}"]
    done = subprocess.run(args, cwd=REPO, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, f"dlkit scaffold {' '.join(args[3:])} failed:\n{done.stdout}\n{done.stderr}"
    report = json.loads(done.stdout)
    return Path(report["folder"]), report["files"]


@pytest.fixture(scope="session")
def generated(tmp_path_factory):
    """(style, arch) -> (folder, files listed by the CLI), the default (synthetic) dataset; made once, when first asked."""
    out, made = tmp_path_factory.mktemp("scaffolds"), {}

    def get(style, arch):
        if (style, arch) not in made:
            made[(style, arch)] = _generate(out, style, arch)
        return made[(style, arch)]

    return get


@pytest.fixture
def project(generated, request):
    style, arch = request.param
    folder, files = generated(style, arch)
    return types.SimpleNamespace(style=style, arch=arch, dir=folder, files=files)


def _py_files(folder):
    return sorted(p for p in folder.rglob("*.py") if "__pycache__" not in p.parts)


def _rel(project, path):
    return path.relative_to(project.dir).as_posix()


def _parse(path):
    return ast.parse(path.read_text(encoding="utf-8"), str(path))


parametrize_projects = pytest.mark.parametrize("project", PROJECTS, ids=IDS, indirect=True)


# ------------------------------------------------------------------------------ files and syntax


@parametrize_projects
def test_generated_files(project):
    files = set(project.files)
    missing = COMMON_FILES - files
    assert not missing, f"missing files: {sorted(missing)}"
    tool = "sample.py" if project.arch in GENERATIVE else "evaluate.py"
    other = "evaluate.py" if project.arch in GENERATIVE else "sample.py"
    assert tool in files and other not in files
    if project.arch in GENERATIVE:
        assert {"images.py", "tests/test_images.py"} <= files
    if project.style == "keras":
        assert "callbacks.py" in files
    else:
        assert "progress.py" in files
    assert not [f for f in files if f.endswith(".tmpl")]
    for name in files:
        text = (project.dir / name).read_text(encoding="utf-8")
        placeholder = re.search(r"\{\{\w+\}\}", text)
        assert not placeholder, f"{name}: a placeholder was not filled: {placeholder and placeholder[0]}"
        assert "\t" not in text or name.endswith(".tsv"), f"{name}: indent with spaces"


@parametrize_projects
def test_python_compiles(project):
    for path in _py_files(project.dir):
        compile(path.read_text(encoding="utf-8"), str(path), "exec")


def test_templates_compile_as_they_are():
    """README.md of src/scaffold: every .py template is valid Python before the placeholders are filled."""
    paths = sorted(p for style in STYLES for p in (TEMPLATES / style).rglob("*.py"))
    assert len(paths) >= 40
    for path in paths:
        compile(path.read_text(encoding="utf-8"), str(path), "exec")


def test_shared_modules_do_not_drift():
    """The modules that are the same in several places stay the same."""
    groups = [
        [TEMPLATES / style / "_shared" / name for style in STYLES] for name in ("configlib.py", "runlog.py", "tests/conftest.py",
                                                                              "tests/test_config.py", "tests/test_runlog.py")
    ]
    # Text data and image grids live once per style, in the _sequences/ and _generative/ layers.
    groups.append([TEMPLATES / style / "_generative" / "images.py" for style in STYLES])
    groups.append([TEMPLATES / style / "_generative" / "tests" / "test_images.py" for style in STYLES])
    for group in groups:
        texts = {path.read_text(encoding="utf-8") for path in group}
        assert len(texts) == 1, f"these copies differ: {[str(p.relative_to(TEMPLATES)) for p in group]}"


# ---------------------------------------------------------------------- Keras 3 / TensorFlow API


@parametrize_projects
def test_keras_tf_names_are_public_api(project):
    unknown = {}
    for path in _py_files(project.dir):
        for name in sorted(ApiUse(path.read_text(encoding="utf-8")).names - API):
            unknown.setdefault(name, _rel(project, path))
    assert not unknown, (
        f"names missing from {API_FILE.name} (a typo, a made-up API, or check it against the Keras 3 / TF 2.16+ "
        "docs and add it): " + ", ".join(f"{name} [{where}]" for name, where in unknown.items())
    )


@parametrize_projects
def test_imported_names_are_not_rebound(project):
    for path in _py_files(project.dir):
        rebound = ApiUse(path.read_text(encoding="utf-8")).rebound()
        assert not rebound, f"{_rel(project, path)} reassigns imported names {rebound}"


@parametrize_projects
def test_keras3_not_tf_keras(project):
    for path in _py_files(project.dir):
        where = _rel(project, path)
        text = path.read_text(encoding="utf-8")
        use = ApiUse(text)
        for module, name, line in use.imports:
            assert not (module.startswith("tf.keras") or (name or "").startswith("tf.keras")), (
                f"{where}:{line}: import keras directly (`import keras`), not from tensorflow"
            )
            assert not module.startswith(("keras.src", "tf_keras")), f"{where}:{line}: private or Keras 2 module {module}"
        assert not [n for n in use.names if n == "tf.keras" or n.startswith("tf.keras.")], f"{where} uses tf.keras"
        assert not [n for n in use.names if n.startswith("tf.compat")], f"{where} uses tf.compat"
        assert "tf.compat" not in text and "tensorflow.compat" not in text, f"{where} mentions tf.compat"


@parametrize_projects
def test_keras3_files_and_keywords(project):
    for path in _py_files(project.dir):
        where = _rel(project, path)
        use = ApiUse(path.read_text(encoding="utf-8"))
        for callee, call in use.calls():
            keywords = {k.arg for k in call.keywords if k.arg}
            for head, removed in REMOVED_KEYWORDS.items():
                if callee == head or (head.endswith(".") and callee.startswith(head)):
                    assert not keywords & removed, f"{where}:{call.lineno}: {callee} no longer takes {sorted(keywords & removed)}"
            if callee == "keras.callbacks.ModelCheckpoint":
                target = call.args[0] if call.args else next(k.value for k in call.keywords if k.arg == "filepath")
                weights_only = any(k.arg == "save_weights_only" and getattr(k.value, "value", None) is True for k in call.keywords)
                suffix = ".weights.h5" if weights_only else ".keras"
                assert (_path_literal(target, use.tree) or "").endswith(suffix), f"{where}:{call.lineno}: ModelCheckpoint path must end with {suffix}"
            if callee == "keras.models.load_model":
                assert (_path_literal(call.args[0], use.tree) or "").endswith(".keras"), f"{where}:{call.lineno}: load_model takes a .keras file"
        for node in ast.walk(use.tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.args:
                text = _path_literal(node.args[0], use.tree)
                if node.func.attr in ("save_weights", "load_weights") and text is not None:
                    assert text.endswith(".weights.h5"), f"{where}:{node.lineno}: weights files end with .weights.h5"
                if node.func.attr == "save" and text is not None and project.style == "keras":
                    assert text.endswith(".keras"), f"{where}:{node.lineno}: Keras 3 saves models as .keras files"
            if isinstance(node, ast.keyword) and node.arg == "lr":
                pytest.fail(f"{where}:{node.value.lineno}: `lr=` is Keras 2; Keras 3 optimizers take learning_rate=")


def _path_literal(node, tree):
    """The file name a path expression ends with: the last string literal in source order, through
    str(...) and through a variable assigned in the same file (path = tmp_path / "model.keras")."""
    if isinstance(node, ast.Call) and ast.unparse(node.func) == "str" and node.args:
        return _path_literal(node.args[0], tree)
    if isinstance(node, ast.Name):
        values = [n.value for n in ast.walk(tree) if isinstance(n, ast.Assign) and len(n.targets) == 1
                  and isinstance(n.targets[0], ast.Name) and n.targets[0].id == node.id and n.lineno < node.lineno]
        return _path_literal(max(values, key=lambda v: v.lineno), tree) if values else None
    strings = [n for n in ast.walk(node) if isinstance(n, ast.Constant) and isinstance(n.value, str)]
    return max(strings, key=lambda n: (n.lineno, n.col_offset)).value if strings else None


def _names(project, name):
    return ApiUse((project.dir / name).read_text(encoding="utf-8")).names


def _method_calls(project, name):
    return {node.func.attr for node in ast.walk(_parse(project.dir / name))
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)}


def _class_bases(project, name):
    use = ApiUse((project.dir / name).read_text(encoding="utf-8"))
    return {use.chain(base) if isinstance(base, ast.Attribute) else use.bindings.get(getattr(base, "id", ""))
            for node in ast.walk(use.tree) if isinstance(node, ast.ClassDef) for base in node.bases}


@parametrize_projects
def test_style(project):
    model_names, train_names = _names(project, "model.py"), _names(project, "train.py")
    all_names = set().union(*(_names(project, _rel(project, p)) for p in _py_files(project.dir) if "tests" not in p.parts))
    assert "keras.Model" in model_names, "model.py builds keras models"
    if project.style == "keras":
        assert "keras.Input" in model_names, "Keras style: functional models (keras.Input -> keras.Model)"
        assert "fit" in _method_calls(project, "train.py"), "Keras style: train.py trains with fit()"
        assert {"keras.callbacks.TensorBoard", "keras.callbacks.Callback"} <= all_names
        if project.arch != "gan":
            assert {"keras.callbacks.ModelCheckpoint", "keras.callbacks.EarlyStopping"} <= train_names
        if project.arch != "gan":  # the GAN's train_step takes gradients with tf.GradientTape
            other = [n for n in all_names if n.startswith("tf.") and not n.startswith(("tf.data.", "tf.config.", "tf.distribute."))]
            assert not other, f"Keras style: TensorFlow only for tf.data, devices and tf.distribute, not {other}"
    else:
        assert not {"fit", "compile", "train_on_batch"} & (_method_calls(project, "train.py") | _method_calls(project, "model.py")), (
            "TensorFlow style: a custom training loop, not compile() / fit()"
        )
        assert {"tf.GradientTape", "tf.function", "tf.train.Checkpoint", "tf.train.CheckpointManager",
                "tf.summary.create_file_writer"} <= train_names | model_names
        assert "tf.data.Dataset.from_tensor_slices" in _names(project, "data.py")
        assert "keras.Input" not in model_names, "TensorFlow style: subclassed models"
        assert _class_bases(project, "model.py") & {"keras.Model", "tf.Module"}, "TensorFlow style: subclass keras.Model or tf.Module"
        assert {"tf.distribute.MirroredStrategy", "tf.distribute.MultiWorkerMirroredStrategy"} <= _names(project, "runtime.py")


def _first_line(tree, predicate):
    lines = [node.lineno for node in ast.walk(tree) if predicate(node)]
    return min(lines) if lines else None


def _sets_tensorflow_backend(node):
    return (isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Subscript)
            and ast.unparse(node.targets[0]) == "os.environ['KERAS_BACKEND']"
            and isinstance(node.value, ast.Constant) and node.value.value == "tensorflow")


def _imports_keras(node):
    return (isinstance(node, ast.Import) and any(a.name.split(".")[0] == "keras" for a in node.names)) or (
        isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "keras")


@parametrize_projects
def test_backend_is_chosen_before_keras_is_imported(project):
    """Code using tf.GradientTape or tf.function with Keras objects needs the TensorFlow backend (KERAS_BACKEND)."""
    for path in _py_files(project.dir):
        tree = _parse(path)
        top_level_keras = [node for node in tree.body if _imports_keras(node)]
        names = ApiUse(path.read_text(encoding="utf-8")).names
        needs = bool(top_level_keras) and (project.style == "tensorflow" or {"tf.GradientTape", "tf.function"} & names)
        if not needs:
            continue
        chosen = _first_line(tree, _sets_tensorflow_backend)
        assert chosen is not None and chosen < top_level_keras[0].lineno, (
            f"{_rel(project, path)}: set os.environ['KERAS_BACKEND'] = 'tensorflow' before importing keras"
        )


# ------------------------------------------------------------------------------- configuration


def _toml_leaves(table, prefix=()):
    for key, value in table.items():
        if isinstance(value, dict):
            yield from _toml_leaves(value, prefix + (key,))
        else:
            yield prefix + (key,)


def _schema(project):
    """The dataclass fields of config.py as key paths: {("train", "epochs"), ...}."""
    tree = _parse(project.dir / "config.py")
    classes = {node.name: node for node in tree.body if isinstance(node, ast.ClassDef)}

    def fields(name, prefix):
        for node in classes[name].body:
            if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
                kind = ast.unparse(node.annotation)
                if kind in classes:
                    yield from fields(kind, prefix + (node.target.id,))
                else:
                    yield prefix + (node.target.id,)

    assert "Config" in classes, "config.py defines the dataclass Config"
    return set(fields("Config", ()))


def _config_reads(path):
    """Key paths the code reads as cfg.<section>.<key> (and writes with configlib.with_changes)."""
    tree = _parse(path)
    reads, writes = set(), set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Attribute) and isinstance(node.value.value, ast.Name):
            if node.value.value.id == "cfg":
                reads.add((node.value.attr, node.attr))
        if isinstance(node, ast.Call) and ast.unparse(node.func).endswith("with_changes") and len(node.args) >= 2:
            section = node.args[1]
            assert isinstance(section, ast.Constant), f"{path.name}:{node.lineno}: with_changes takes the section as a string"
            for keyword in node.keywords:
                if keyword.arg:
                    writes.add((section.value, keyword.arg))
                else:  # with_changes(cfg, "data", **{"dataset": ..., **changes})
                    assert isinstance(keyword.value, ast.Dict), f"{path.name}:{node.lineno}: spell out the keys"
                    writes |= {(section.value, key.value) for key in keyword.value.keys if key is not None}
        if isinstance(node, ast.Call) and ast.unparse(node.func) == "getattr" and node.args and ast.unparse(node.args[0]).startswith("cfg"):
            pytest.fail(f"{path.name}:{node.lineno}: read the configuration as cfg.<section>.<key>, so that it can be checked")
        if isinstance(node, ast.Subscript) and re.fullmatch(r"cfg(\.\w+)?", ast.unparse(node.value)):
            pytest.fail(f"{path.name}:{node.lineno}: read the configuration as cfg.<section>.<key>, not by subscript")
    return reads, writes


@parametrize_projects
def test_config_matches_the_code(project):
    toml = tomllib.loads((project.dir / "config.toml").read_text(encoding="utf-8"))
    keys, schema = set(_toml_leaves(toml)), _schema(project)
    assert keys == schema, (
        f"config.toml and config.py disagree: only in config.toml {sorted(keys - schema)}, only in config.py {sorted(schema - keys)}"
    )
    assert toml["data"]["dataset"] == "synthetic", "a new project trains offline by default"
    read_anywhere, read_by_code = set(), set()
    for path in _py_files(project.dir):
        reads, writes = _config_reads(path)
        where = _rel(project, path)
        assert not (reads | writes) - schema, f"{where} uses keys that config.toml does not have: {sorted((reads | writes) - schema)}"
        read_anywhere |= reads
        if where not in CONFIG_PLUMBING and not where.startswith("tests/"):
            read_by_code |= reads
    unused = schema - read_by_code
    assert not unused, f"config.toml keys that the training code never reads (dead settings): {sorted(unused)}"


@pytest.mark.parametrize("style,arch", PROJECTS, ids=IDS)
def test_the_chosen_dataset_is_written_into_the_config(style, arch, tmp_path):
    folder, _ = _generate(tmp_path, style, arch, OTHER_DATASET[arch])
    toml = tomllib.loads((folder / "config.toml").read_text(encoding="utf-8"))
    assert toml["data"]["dataset"] == OTHER_DATASET[arch]
    data_py = (folder / "data.py").read_text(encoding="utf-8")
    assert f'"{OTHER_DATASET[arch]}"' in data_py, f"data.py does not handle data.dataset = {OTHER_DATASET[arch]!r}"


# --------------------------------------------------------------------------- commands and docs


def _argparse_flags(path):
    """The option strings of every add_argument call in a file: {"--config", "--epochs", ...}."""
    flags, choices = set(), {}
    for node in ast.walk(_parse(path)):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "add_argument":
            names = [a.value for a in node.args if isinstance(a, ast.Constant) and str(a.value).startswith("-")]
            flags |= set(names)
            for k in node.keywords:
                if k.arg == "choices":
                    choices[names[0]] = k.value
    return flags, choices


def _distribute_choices(project):
    """The choices of train.py --distribute, a tuple that runtime.py defines."""
    _, choices = _argparse_flags(project.dir / "train.py")
    name = ast.unparse(choices["--distribute"])
    assert name.startswith("runtime."), "train.py takes the --distribute choices from runtime.py"
    for node in _parse(project.dir / "runtime.py").body:
        if isinstance(node, ast.Assign) and ast.unparse(node.targets[0]) == name.removeprefix("runtime."):
            return set(ast.literal_eval(node.value))
    pytest.fail(f"runtime.py does not define {name}")


def _commands(markdown):
    """(script, [arguments]) of every `python <script>.py ...` line in the README's code blocks."""
    blocks = re.findall(r"```(?:bash|sh)?\n(.*?)```", markdown, flags=re.S)
    text = "\n".join(blocks).replace("\\\n", " ")
    for line in text.splitlines():
        line = line.split("#")[0]
        match = re.search(r"\bpython3? (\S+\.py)(.*)$", line)
        if match:
            yield match.group(1), match.group(2).split()


@parametrize_projects
def test_readme_shows_commands_that_exist(project):
    readme = (project.dir / "README.md").read_text(encoding="utf-8")
    tool = "sample.py" if project.arch in GENERATIVE else "evaluate.py"
    flags = {name: _argparse_flags(project.dir / name)[0] for name in ("train.py", tool)}
    distribute = _distribute_choices(project)
    commands = list(_commands(readme))
    assert {script for script, _ in commands} >= {"train.py", tool}
    for script, arguments in commands:
        assert script in flags, f"README.md runs {script}, which is not a script of this project"
        for i, argument in enumerate(arguments):
            if argument.startswith("--"):
                assert argument in flags[script], f"README.md: `python {script} {argument}`: {script} has no such option"
                if argument == "--distribute":
                    assert arguments[i + 1] in distribute, f"README.md: --distribute {arguments[i + 1]} is not a choice"
    for script, options in flags.items():
        for flag in options:
            assert f"`{flag}" in readme, f"README.md does not document {script} {flag}"
    assert "python train.py --resume" in readme and "python -m pytest tests" in readme
    for mode in distribute - {"auto", "none"}:
        assert f"--distribute {mode}" in readme, f"README.md shows no launch with --distribute {mode}"


@parametrize_projects
def test_readme_documents_distribution_accurately(project):
    readme = (project.dir / "README.md").read_text(encoding="utf-8")
    for needed in ("tf.distribute.MirroredStrategy", "tf.distribute.MultiWorkerMirroredStrategy", "TF_CONFIG",
                   '"task": {"type": "worker", "index": 1}'):
        assert needed in readme, f"README.md does not mention {needed}"
    distribute = _distribute_choices(project)
    tensorflow_only = project.style == "tensorflow" or project.arch == "gan"
    if tensorflow_only:
        assert "data-parallel" not in distribute, "keras.distribution is not available on the TensorFlow backend"
    else:
        for needed in ("keras.distribution.DataParallel", "keras.distribution.DeviceMesh", "KERAS_BACKEND=jax",
                       "KERAS_DISTRIBUTION_JOB_ADDRESSES", "KERAS_DISTRIBUTION_NUM_PROCESSES", "KERAS_DISTRIBUTION_PROCESS_ID"):
            assert needed in readme, f"README.md does not mention {needed}"
        assert re.search(r"implemented for the \*\*JAX backend\*\*", readme), "say which backend the Keras distribution API needs"
        names = _names(project, "runtime.py")
        assert {"keras.distribution.DataParallel", "keras.distribution.DeviceMesh", "keras.distribution.set_distribution",
                "keras.distribution.initialize"} <= names


def _launch_arguments_ok(project, script, arguments):
    flags, _ = _argparse_flags(project.dir / script)
    for argument in arguments:
        if argument.startswith("--"):
            assert argument in flags, f"{script} has no option {argument}"


@parametrize_projects
def test_vscode_configurations(project):
    launch = json.loads((project.dir / ".vscode" / "launch.json").read_text(encoding="utf-8"))
    tasks = json.loads((project.dir / ".vscode" / "tasks.json").read_text(encoding="utf-8"))
    programs = set()
    for configuration in launch["configurations"]:
        assert configuration["type"] == "debugpy" and configuration["request"] == "launch"
        if "program" in configuration:
            script = configuration["program"].replace("${workspaceFolder}/", "")
            assert (project.dir / script).is_file(), f"launch.json: {script} does not exist"
            _launch_arguments_ok(project, script, configuration.get("args", []))
            programs.add(script)
        else:
            assert configuration["module"] == "pytest" and (project.dir / configuration["args"][-1]).is_dir()
    tool = "sample.py" if project.arch in GENERATIVE else "evaluate.py"
    assert {"train.py", tool} <= programs
    assert any("--resume" in c.get("args", []) for c in launch["configurations"])
    labels = set()
    for task in tasks["tasks"]:
        labels.add(task["label"])
        arguments = task["args"]
        if arguments[0].endswith(".py"):
            assert (project.dir / arguments[0]).is_file(), f"tasks.json: {arguments[0]} does not exist"
            _launch_arguments_ok(project, arguments[0], arguments[1:])
        else:
            assert arguments[:2] in (["-m", "pytest"], ["-m", "tensorboard.main"]), arguments
    assert {"Train", "Test"} <= labels


@parametrize_projects
def test_requirements_and_gitignore(project):
    lines = [line.split("#")[0].strip() for line in (project.dir / "requirements.txt").read_text().splitlines()]
    lines = [line for line in lines if line]
    for line in lines:
        assert re.fullmatch(r"[A-Za-z0-9_.\-\[\]]+(>=[0-9.]+)?(; python_version < \"3\.11\")?", line), f"requirement {line!r}"
    names = {re.split(r"[>=;\[]", line)[0] for line in lines}
    assert {"tensorflow", "keras", "numpy", "tomli", "pytest"} <= names
    assert "tensorflow>=2.16" in lines and any(re.fullmatch(r"keras>=3(\.\d+)*", line) for line in lines)
    assert 'tomli>=2.0; python_version < "3.11"' in lines
    ignored = (project.dir / ".gitignore").read_text().splitlines()
    assert {"runs/", "__pycache__/"} <= set(ignored)


# -------------------------------------------------------------- what runs without TensorFlow


@parametrize_projects
def test_the_projects_offline_tests_pass(project):
    """The generated tests that need NumPy only (config, run log, data, PNG grids) pass for real."""
    offline = ["tests/test_config.py", "tests/test_runlog.py", "tests/test_data.py"]
    if project.arch in GENERATIVE:
        offline.append("tests/test_images.py")
    for name in offline:
        tree = _parse(project.dir / name)
        imported = {a.name.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.Import) for a in node.names}
        imported |= {(node.module or "").split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
        assert not imported & {"keras", "tensorflow"}, f"{name} should run without TensorFlow"
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *offline],
                          cwd=project.dir, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, f"the project's offline tests failed:\n{done.stdout[-6000:]}\n{done.stderr[-3000:]}"
    assert re.search(r"\d+ passed", done.stdout) and " failed" not in done.stdout


@parametrize_projects
def test_the_model_tests_exist(project):
    tests = {node.name for node in _parse(project.dir / "tests" / "test_model.py").body if isinstance(node, ast.FunctionDef)}
    assert "test_output_shapes" in tests
    assert [name for name in tests if name.startswith("test_one_training_step_lowers")], tests


# ------------------------------------------------------------------------------------ run log


def _strict_json(line):
    def refuse(token):
        raise ValueError(f"bare {token} is not JSON")

    return json.loads(line, parse_constant=refuse)


def check_run_log(run_dir, status):
    """docs/run-log-format.md, format 1: returns the metrics rows."""
    run = json.loads((run_dir / "run.json").read_text(encoding="utf-8"))
    assert {"name", "status", "config", "started", "ended", "planned_epochs", "planned_steps", "pid"} <= set(run)
    assert run.get("format", 1) == 1 and run["name"] == run_dir.name and run["status"] == status
    assert isinstance(run["config"], dict) and isinstance(run["started"], (int, float))
    if status == "running":
        assert run["ended"] is None and isinstance(run["pid"], int)
    else:
        assert isinstance(run["ended"], (int, float)) and run["ended"] >= run["started"] and run["pid"] is None
    assert not (run_dir / "run.json.tmp").exists(), "run.json is written atomically (tmp file, then rename)"
    raw = (run_dir / "metrics.jsonl").read_text(encoding="utf-8")
    assert raw == "" or raw.endswith("\n")
    rows = [_strict_json(line) for line in raw.splitlines()]
    last_time = 0.0
    for row in rows:
        assert list(row)[:4] == ["step", "epoch", "split", "time"], row
        assert isinstance(row["step"], int) and row["step"] >= 0 and isinstance(row["epoch"], int) and row["epoch"] >= 1
        assert row["split"] in ("train", "val", "test") and row["time"] >= last_time
        last_time = row["time"]
        assert not [key for key in row if key.startswith("val_")], "validation metrics keep their plain names"
        for key, value in list(row.items())[4:]:
            assert value is None or isinstance(value, float) or value in ("NaN", "Infinity", "-Infinity"), (key, value)
    return rows


def _fake_keras():
    keras = types.ModuleType("keras")

    class Callback:
        def __init__(self):
            self.params, self.model = {}, None

    keras.callbacks = types.SimpleNamespace(Callback=Callback)
    keras.ops = types.SimpleNamespace(convert_to_numpy=lambda value: value)
    return keras


def _import_project_module(project, name, monkeypatch):
    """Imports <project>/<name>.py under its own name, with the project's folder first on sys.path."""
    monkeypatch.syspath_prepend(str(project.dir))
    for module in ("runlog", "callbacks", "configlib", "config", "progress"):
        monkeypatch.delitem(sys.modules, module, raising=False)
    spec = importlib.util.spec_from_file_location(name, project.dir / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, name, module)
    spec.loader.exec_module(module)
    return module


def _fake_fit(callback, first_epoch, epochs, steps, fail_at=None):
    """Calls a callback the way Keras 3 fit() does; batch logs are running means, epoch logs carry val_*."""
    callback.params = {"verbose": 1, "epochs": epochs, "steps": steps}
    callback.on_train_begin() if hasattr(callback, "on_train_begin") else None
    for epoch in range(first_epoch, epochs):
        callback.on_epoch_begin(epoch)
        for batch in range(steps):
            if fail_at == (epoch, batch):
                raise KeyboardInterrupt
            callback.on_train_batch_end(batch, {"loss": 1.0 / (batch + 1), "accuracy": float("nan") if batch == 0 else 0.5})
        callback.on_epoch_end(epoch, {"loss": 0.5, "accuracy": 0.75, "val_loss": 0.6, "val_accuracy": 0.7})


@pytest.mark.parametrize("project", [p for p in PROJECTS if p[0] == "keras"], ids=[i for i in IDS if i.startswith("keras")], indirect=True)
def test_keras_run_log_callback_writes_the_format(project, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "keras", _fake_keras())
    callbacks = _import_project_module(project, "callbacks", monkeypatch)
    runlog = sys.modules["runlog"]
    run_dir = tmp_path / "runs" / "example"
    learning_rates = iter([0.01 * i for i in range(1, 100)])
    with runlog.RunLog(run_dir, {"lr": 0.01}, planned_epochs=3, planned_steps=15) as log:
        check_run_log(run_dir, "running")
        _fake_fit(callbacks.RunLogCallback(log, 2, 5, learning_rate=lambda: next(learning_rates)), 0, 2, 5)
    rows = check_run_log(run_dir, "finished")
    assert [(r["step"], r["epoch"], r["split"]) for r in rows] == [
        (2, 1, "train"), (4, 1, "train"), (5, 1, "train"), (5, 1, "val"),
        (6, 2, "train"), (8, 2, "train"), (10, 2, "train"), (10, 2, "val"),
    ]
    assert rows[3] == {**rows[3], "loss": 0.6, "accuracy": 0.7} and "lr" not in rows[3]
    assert [r["lr"] for r in rows if r["split"] == "train"][:2] == [0.01, 0.02]
    started = json.loads((run_dir / "run.json").read_text())["started"]

    # --resume: fit(initial_epoch=2) appends to the same log, the steps continuing where they were.
    with runlog.RunLog(run_dir, {"lr": 0.01}, planned_epochs=3, planned_steps=15, resume=True) as log:
        _fake_fit(callbacks.RunLogCallback(log, 2, 5), 2, 3, 5)
    rows = check_run_log(run_dir, "finished")
    assert [(r["step"], r["epoch"], r["split"]) for r in rows[8:]] == [(12, 3, "train"), (14, 3, "train"), (15, 3, "train"), (15, 3, "val")]
    assert json.loads((run_dir / "run.json").read_text())["started"] == started

    # Ctrl+C in the middle of an epoch: the run is "failed", and the lines written so far stay.
    with pytest.raises(KeyboardInterrupt):
        with runlog.RunLog(tmp_path / "runs" / "stopped", {}, 2, 10) as log:
            _fake_fit(callbacks.RunLogCallback(log, 1, 5), 0, 2, 5, fail_at=(0, 3))
    assert len(check_run_log(tmp_path / "runs" / "stopped", "failed")) == 3


@pytest.mark.parametrize("project", PROJECTS, ids=IDS, indirect=True)
def test_run_log_writer_handles_non_finite_values_and_workers(project, tmp_path, monkeypatch):
    runlog = _import_project_module(project, "runlog", monkeypatch)
    run_dir = tmp_path / "run"
    with runlog.RunLog(run_dir, {"x": (1, 2)}, 1, 2) as log:
        log.log(1, 1, "train", loss=float("nan"), grad_norm=float("inf"), other=-float("inf"), missing=None, text="skipped")
        log.log(2, 1, "val", loss=0.5)
    rows = check_run_log(run_dir, "finished")
    assert rows[0]["loss"] == "NaN" and rows[0]["grad_norm"] == "Infinity" and rows[0]["other"] == "-Infinity"
    assert rows[0]["missing"] is None and "text" not in rows[0]
    runlog.append_row(run_dir, "test", loss=0.25, accuracy=0.9)
    assert check_run_log(run_dir, "finished")[-1] == {**check_run_log(run_dir, "finished")[-1], "step": 2, "epoch": 1, "split": "test"}
    silent = tmp_path / "worker"
    with runlog.RunLog(silent, {}, 1, 1, enabled=False) as log:
        log.log(1, 1, "train", loss=1.0)
    assert not silent.exists(), "a non-chief worker writes no run log"


@parametrize_projects
def test_training_scripts_use_the_run_log(project):
    """train.py opens the run log as a context manager (so an exception marks the run failed) and logs both splits."""
    tree = _parse(project.dir / "train.py")
    opened = [item for node in ast.walk(tree) if isinstance(node, ast.With) for item in node.items
              if isinstance(item.context_expr, ast.Call) and ast.unparse(item.context_expr.func) == "RunLog"]
    assert opened, "train.py: `with RunLog(...) as run_log:`"
    call = opened[0].context_expr
    assert {k.arg for k in call.keywords} >= {"resume", "enabled"}, "RunLog(..., resume=..., enabled=<chief>)"
    if project.style == "keras":
        assert "RunLogCallback" in ast.unparse(tree)
    else:
        # run_log.log(step, epoch, "train", ...) directly or through a helper that also writes TensorBoard
        assert "run_log.log(" in ast.unparse(tree)
        splits = {node.args[2].value for node in ast.walk(tree) if isinstance(node, ast.Call) and len(node.args) >= 3
                  and isinstance(node.args[2], ast.Constant) and node.args[2].value in ("train", "val", "test")}
        assert {"train", "val"} <= splits, f"train.py logs only {sorted(splits)}"


@pytest.mark.parametrize("project", [p for p in PROJECTS if p[0] == "tensorflow"], ids=[i for i in IDS if i.startswith("tensorflow")], indirect=True)
def test_tensorflow_progress_bar_works_without_tqdm(project, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "tqdm", None)  # not installed
    progress = _import_project_module(project, "progress", monkeypatch)
    with progress.Progress(total=3, description="epoch 1/1", every_seconds=0.0) as bar:
        for step in range(3):
            bar.update(loss=1.0 / (step + 1))
    err = capsys.readouterr().err
    assert "epoch 1/1" in err and "3/3" in err and "loss" in err

    class FakeTqdm:
        made = []

        def __init__(self, **kwargs):
            self.kwargs, self.count, self.postfix, self.closed = kwargs, 0, None, False
            FakeTqdm.made.append(self)

        def update(self, n):
            self.count += n

        def set_postfix(self, values, refresh=True):
            self.postfix = values

        def close(self):
            self.closed = True

    monkeypatch.setitem(sys.modules, "tqdm", types.SimpleNamespace(tqdm=FakeTqdm))
    progress = _import_project_module(project, "progress", monkeypatch)
    with progress.Progress(total=2, description="epoch 1/1") as bar:
        bar.update(loss=0.5)
        bar.update(loss=0.25)
    (made,) = FakeTqdm.made
    assert made.count == 2 and made.closed and made.kwargs["total"] == 2
