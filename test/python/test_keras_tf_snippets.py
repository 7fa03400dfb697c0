"""Static checks of the Keras 3 and low-level TensorFlow snippets (snippets/keras.json, snippets/tensorflow.json).

Neither TensorFlow nor Keras can be installed on the build machines, so nothing here imports them. Instead:

* every snippet, expanded the way a user who accepts every default gets it, compiles; so does every
  option of every choice (expanded here by a port of src/snippets/expand.ts that picks one option);
* every attribute path rooted at a name the snippet imports from keras or tensorflow (`keras.layers.Dense`,
  `ops.softmax` -> `keras.ops.softmax`, `tf.data.AUTOTUNE`, ...) is listed in keras_tf_public_api.txt, a
  hand-checked list of the public TF 2.16+ / Keras 3 API: a typo or an invented API fails;
* the list names nothing the snippets do not use, so it stays an honest record of what was checked;
* Keras snippets use Keras 3 (`import keras`, never tf.keras / `from tensorflow import keras`), and
  Keras 3 file rules (ModelCheckpoint/save paths end in .keras, weights in .weights.h5);
* prefixes follow the keras-<thing> / tf-<thing> scheme; tab stops, choices and shape comments are sane;
* the two JSONL run-log snippets (plain Python) are run against a stand-in Keras fit() / training loop and
  must write docs/run-log-format.md: strict-JSON lines, 1-based epochs, "NaN" strings, run.json states.

    node scripts/snippets/expand-all.mjs /tmp/expanded-k.json
    DLKIT_EXPANDED_SNIPPETS=/tmp/expanded-k.json /usr/bin/python3 -m pytest test/python/test_keras_tf_snippets.py -q

Without DLKIT_EXPANDED_SNIPPETS the expansion is produced here with the same node script.
"""
import ast
import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
API_FILE = HERE / "keras_tf_public_api.txt"
ENV_VAR = "DLKIT_EXPANDED_SNIPPETS"
STYLES = {"keras": "keras", "tensorflow": "tf"}  # style (snippet file name) -> prefix head
ROOT_MODULES = {"keras": "keras", "tensorflow": "tf"}  # imported module -> name used in the API list

# Snippets whose point is the explicit TensorFlow training loop: tf.GradientTape inside a @tf.function.
GRADIENT_TAPE_SNIPPETS = {
    "tf-cnn", "tf-lstm", "tf-gru", "tf-gan", "tf-transformer-encoder", "tf-autoencoder", "tf-vae", "tf-module",
    "tf-train-step", "tf-train", "tf-mixed-precision", "tf-clip-grad",
    "keras-gan", "keras-gan-step", "keras-vae",
}
# Whole-model snippets: they must document tensor shapes where they change, e.g. `# (B, H, W, C)`.
ARCHITECTURE_SNIPPETS = {
    "keras-cnn", "keras-lstm", "keras-gru", "keras-gan", "keras-transformer-encoder", "keras-transformer-lm",
    "keras-autoencoder", "keras-conv-autoencoder", "keras-vae",
    "tf-cnn", "tf-lstm", "tf-gru", "tf-gan", "tf-transformer-encoder", "tf-autoencoder", "tf-vae", "tf-module",
}
# Keras 2 keyword arguments that Keras 3 removed or deprecated: they raise, warn, or are ignored.
REMOVED_KEYWORDS = {
    "keras.optimizers.": {"lr", "decay"},
    "keras.layers.LeakyReLU": {"alpha"},
    "keras.callbacks.ModelCheckpoint": {"period", "save_format", "options"},
}


# ------------------------------------------------------------------------------------------- loading


def _expanded_path():
    path = os.environ.get(ENV_VAR)
    if path:
        return Path(path)
    out = Path(tempfile.mkdtemp(prefix="dlkit-keras-tf-")) / "expanded.json"
    subprocess.run(["node", str(REPO / "scripts/snippets/expand-all.mjs"), str(out)], cwd=REPO, check=True,
                   stdout=subprocess.DEVNULL)
    return out


EXPANDED = [e for e in json.loads(_expanded_path().read_text()) if e["style"] in STYLES]
RAW = {style: json.loads((REPO / "snippets" / f"{style}.json").read_text()) for style in STYLES}
BY_PREFIX = {e["prefix"]: e for e in EXPANDED}
PREFIXES = sorted(BY_PREFIX)


def _raw_entry(prefix):
    entry = BY_PREFIX[prefix]
    return RAW[entry["style"]][entry["name"]]


def _api_lines():
    return [line.strip() for line in API_FILE.read_text().splitlines() if line.strip() and not line.startswith("#")]


API = set(_api_lines())


# --------------------------------------------------------------- snippet expansion (port of expand.ts)

DEFAULT_VARIABLES = {
    "TM_FILENAME": "example.py", "TM_FILENAME_BASE": "example", "TM_DIRECTORY": "/workspace",
    "TM_FILEPATH": "/workspace/example.py", "RELATIVE_FILEPATH": "example.py", "WORKSPACE_NAME": "workspace",
    "CURRENT_YEAR": "2026", "CURRENT_MONTH": "01", "CURRENT_DATE": "01", "LINE_COMMENT": "#",
}
_SIMPLE = re.compile(r"\$(\d+|[A-Z_][A-Z_0-9]*)")
_NAME = re.compile(r"(\d+|[A-Z_][A-Z_0-9]*)")


class Expansion:
    """Expands a body like src/snippets/expand.ts; `pick` chooses an option per choice tab stop (default 0).

    After expand(): .stops lists tab stop numbers in order of appearance, .choices maps a choice's tab stop
    to its options."""

    def __init__(self, text, pick=None):
        self.text, self.pick, self.pos = text, pick or {}, 0
        self.values, self.stops, self.choices = {}, [], {}

    def expand(self):
        out = self._parse(nested=False)
        if self.pos != len(self.text):
            raise ValueError(f'unexpected "}}" at offset {self.pos}')
        return out

    def _parse(self, nested):
        out = []
        while self.pos < len(self.text):
            c = self.text[self.pos]
            if c == "\\":
                following = self.text[self.pos + 1 : self.pos + 2]
                if following in ("$", "}", "\\") and following:
                    out.append(following)
                    self.pos += 2
                else:
                    out.append(c)
                    self.pos += 1
            elif c == "}" and nested:
                return "".join(out)
            elif c == "$":
                out.append(self._dollar())
            else:
                out.append(c)
                self.pos += 1
        if nested:
            raise ValueError('a "${" is never closed')
        return "".join(out)

    def _dollar(self):
        simple = _SIMPLE.match(self.text, self.pos)
        if simple:
            self.pos = simple.end()
            return self._resolve(simple.group(1), None)
        if not self.text.startswith("${", self.pos):
            self.pos += 1
            return "$"
        self.pos += 2
        name = _NAME.match(self.text, self.pos)
        if not name:
            raise ValueError(f'"${{" without a tab stop number or variable name at offset {self.pos}')
        name = name.group(1)
        self.pos += len(name)
        marker = self.text[self.pos : self.pos + 1]
        if marker == "}":
            self.pos += 1
            return self._resolve(name, None)
        if marker == ":":
            self.pos += 1
            fallback = self._parse(nested=True)
            self.pos += 1
            return self._resolve(name, fallback)
        if marker == "|":
            end = self.text.find("|}", self.pos + 1)
            if end < 0:
                raise ValueError(f"choice for ${{{name}}} is never closed")
            options = [re.sub(r"\\([,|\\])", r"\1", o) for o in re.split(r"(?<!\\),", self.text[self.pos + 1 : end])]
            self.pos = end + 2
            if not options or options[0] == "":
                raise ValueError(f"choice for ${{{name}}} has no options")
            self.choices.setdefault(name, options)
            return self._resolve(name, options[self.pick.get(name, 0)])
        raise ValueError(f"unsupported snippet syntax after ${{{name}")

    def _resolve(self, name, fallback):
        if name.isdigit():
            if name not in self.stops:
                self.stops.append(name)
            known = self.values.get(name)
            if known is not None and fallback is None:
                return known
            value = fallback if fallback is not None else ""
            if name not in self.values or fallback is not None:
                self.values[name] = value
            return value
        if name in DEFAULT_VARIABLES:
            return DEFAULT_VARIABLES[name]
        return fallback if fallback is not None else ""


def _body_text(raw):
    return "\n".join(raw["body"]) if isinstance(raw["body"], list) else raw["body"]


def variants(prefix):
    """(label, code) for the defaults (as expanded by expand.ts) and for every other option of every choice."""
    text = _body_text(_raw_entry(prefix))
    result = [("defaults", BY_PREFIX[prefix]["code"])]
    default = Expansion(text)
    default.expand()
    for stop, options in default.choices.items():
        for index in range(1, len(options)):
            result.append((f"${stop}={options[index]}", Expansion(text, {stop: index}).expand()))
    return result


# ------------------------------------------------------------------- resolving names to the public API


def _canonical(dotted):
    head, _, rest = dotted.partition(".")
    head = ROOT_MODULES.get(head, head)
    return f"{head}.{rest}" if rest else head


class ApiUse:
    """The keras/tensorflow names a piece of code imports and the attribute paths it reaches through them."""

    def __init__(self, code):
        self.tree = ast.parse(code)
        self.bindings = {}  # local name -> canonical dotted name
        self.imports = []  # (canonical module, canonical imported name or None, line)
        self.names = set()  # canonical dotted names used (imported names and maximal attribute chains)
        for node in ast.walk(self.tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    root = alias.name.split(".")[0]
                    if root in ROOT_MODULES:
                        self.imports.append((_canonical(alias.name), None, node.lineno))
                        if alias.asname:
                            self.bindings[alias.asname] = _canonical(alias.name)
                        else:
                            self.bindings[root] = _canonical(root)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                if node.module.split(".")[0] in ROOT_MODULES:
                    for alias in node.names:
                        full = _canonical(f"{node.module}.{alias.name}")
                        self.imports.append((_canonical(node.module), full, node.lineno))
                        self.bindings[alias.asname or alias.name] = full
                        self.names.add(full)
        parents = {}
        for node in ast.walk(self.tree):
            for child in ast.iter_child_nodes(node):
                parents[child] = node
        for node in ast.walk(self.tree):
            if isinstance(node, ast.Attribute):
                parent = parents.get(node)
                if isinstance(parent, ast.Attribute) and parent.value is node:
                    continue  # not the longest chain
                chain = self.chain(node)
                if chain:
                    self.names.add(chain)
            elif isinstance(node, ast.Name) and node.id in self.bindings:
                parent = parents.get(node)
                if isinstance(parent, ast.Attribute) and parent.value is node:
                    continue
                if self.bindings[node.id] not in ROOT_MODULES.values():
                    self.names.add(self.bindings[node.id])

    def chain(self, node):
        """Canonical dotted path of `a.b.c` when `a` is an imported keras/tensorflow name, else None."""
        attrs = []
        while isinstance(node, ast.Attribute):
            attrs.append(node.attr)
            node = node.value
        if isinstance(node, ast.Name) and node.id in self.bindings:
            return ".".join([self.bindings[node.id], *reversed(attrs)])
        return None

    def rebound(self):
        """Imported names the code also assigns or takes as parameters (would make the resolution wrong)."""
        stored = set()
        for node in ast.walk(self.tree):
            if isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
                stored.add(node.id)
            elif isinstance(node, ast.arg):
                stored.add(node.arg)
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                stored.add(node.name)
        return sorted(stored & set(self.bindings))

    def calls(self):
        """(canonical callee, ast.Call) for calls whose callee resolves to a keras/tensorflow name."""
        for node in ast.walk(self.tree):
            if isinstance(node, ast.Call):
                callee = self.chain(node.func) if isinstance(node.func, ast.Attribute) else None
                if isinstance(node.func, ast.Name) and node.func.id in self.bindings:
                    callee = self.bindings[node.func.id]
                if callee:
                    yield callee, node


def _all_variant_uses(prefix):
    return [(label, code, ApiUse(code)) for label, code in variants(prefix)]


USES = {prefix: _all_variant_uses(prefix) for prefix in PREFIXES}


# ----------------------------------------------------------------------------------------- the tests


def test_both_files_have_snippets():
    counts = {style: sum(1 for e in EXPANDED if e["style"] == style) for style in STYLES}
    assert counts["keras"] >= 20, counts
    assert counts["tensorflow"] >= 18, counts
    assert len(PREFIXES) == len(EXPANDED), "a prefix is used twice"


@pytest.mark.parametrize("prefix", PREFIXES)
def test_prefix_and_description(prefix):
    entry = BY_PREFIX[prefix]
    head = STYLES[entry["style"]]
    assert re.fullmatch(rf"{head}-[a-z0-9]+(-[a-z0-9]+)*", prefix), f"{prefix}: expected {head}-<thing>"
    raw = _raw_entry(prefix)
    assert isinstance(raw["prefix"], str) and raw["prefix"] == prefix
    assert isinstance(raw["description"], str) and len(raw["description"]) >= 20, "describe the snippet"
    assert isinstance(raw["body"], list) and all(isinstance(line, str) for line in raw["body"])


@pytest.mark.parametrize("prefix", PREFIXES)
def test_body_format(prefix):
    raw = _raw_entry(prefix)
    text = _body_text(raw)
    expansion = Expansion(text)
    assert expansion.expand() == BY_PREFIX[prefix]["code"], "this test's expander disagrees with expand.ts"
    numbered = [int(stop) for stop in expansion.stops if stop != "0"]
    assert sorted(numbered) == list(range(1, len(numbered) + 1)), f"tab stops must be 1..N without gaps: {numbered}"
    assert numbered == sorted(numbered), f"tab stops must appear in order: {numbered}"
    for stop, options in expansion.choices.items():
        assert len(options) >= 2 and len(set(options)) == len(options), f"choice ${stop}: {options}"
    for number, line in enumerate(raw["body"], 1):
        assert line == line.rstrip(), f"line {number} has trailing whitespace"
        assert not line.startswith(" "), f"line {number}: indent with tabs (VS Code adapts them to the editor)"


@pytest.mark.parametrize("prefix", PREFIXES)
def test_compiles(prefix):
    for label, code in variants(prefix):
        try:
            compile(code, f"{prefix} [{label}]", "exec")
        except SyntaxError as error:
            pytest.fail(f"{prefix} [{label}] does not compile: {error}\n{code}")


@pytest.mark.parametrize("prefix", PREFIXES)
def test_api_names_are_listed(prefix):
    unknown = {}
    for label, _, use in USES[prefix]:
        for name in sorted(use.names - API):
            unknown.setdefault(name, label)
    assert not unknown, (
        f"{prefix} uses names missing from {API_FILE.name} (a typo, a made-up API, or check it against the "
        f"TF 2.16+ / Keras 3 docs and add it): " + ", ".join(f"{n} [{label}]" for n, label in unknown.items())
    )


@pytest.mark.parametrize("prefix", PREFIXES)
def test_imported_names_are_not_rebound(prefix):
    for label, _, use in USES[prefix]:
        assert not use.rebound(), f"{prefix} [{label}] reassigns imported names {use.rebound()}"


@pytest.mark.parametrize("prefix", PREFIXES)
def test_keras3_not_tf_keras(prefix):
    """Keras is imported as Keras 3 (`import keras`); tf.keras may be Keras 2 (tf_keras) or missing."""
    for label, code, use in USES[prefix]:
        for module, name, line in use.imports:
            assert not (module.startswith("tf.keras") or (name or "").startswith("tf.keras")), (
                f"{prefix} [{label}] line {line}: import keras directly (`import keras`), not from tensorflow"
            )
        assert not [n for n in use.names if n == "tf.keras" or n.startswith("tf.keras.")], (
            f"{prefix} [{label}] uses tf.keras; use `import keras` (Keras 3)"
        )
        if BY_PREFIX[prefix]["style"] == "keras":
            assert any(module == "keras" for module, _, _ in use.imports), f"{prefix}: no `import keras` / `from keras`"


@pytest.mark.parametrize("prefix", PREFIXES)
def test_keras3_file_and_keyword_rules(prefix):
    for label, _, use in USES[prefix]:
        where = f"{prefix} [{label}]"
        for callee, call in use.calls():
            keywords = {k.arg for k in call.keywords if k.arg}
            for head, removed in REMOVED_KEYWORDS.items():
                if callee == head or (head.endswith(".") and callee.startswith(head)):
                    assert not keywords & removed, f"{where}: {callee} no longer takes {sorted(keywords & removed)}"
            if callee == "keras.callbacks.ModelCheckpoint":
                path = call.args[0] if call.args else next(k.value for k in call.keywords if k.arg == "filepath")
                weights_only = any(
                    k.arg == "save_weights_only" and isinstance(k.value, ast.Constant) and k.value.value is True
                    for k in call.keywords
                )
                suffix = ".weights.h5" if weights_only else ".keras"
                assert _last_string(path).endswith(suffix), f"{where}: ModelCheckpoint path must end with {suffix}"
            if callee == "keras.models.load_model" and call.args and _last_string(call.args[0]) is not None:
                assert _last_string(call.args[0]).endswith(".keras"), f"{where}: load_model expects a .keras file"
        for node in ast.walk(use.tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.args:
                text = _last_string(node.args[0])
                if text is None:
                    continue
                if node.func.attr == "save_weights":
                    assert text.endswith(".weights.h5"), f"{where}: save_weights path must end with .weights.h5"
                if node.func.attr == "save" and BY_PREFIX[prefix]["style"] == "keras":
                    assert text.endswith(".keras"), f"{where}: model.save path must end with .keras"


def _last_string(node):
    """The last string literal inside a path expression ("a.keras", f"{d}/a.keras", os.path.join(d, "a.keras"))."""
    strings = [n.value for n in ast.walk(node) if isinstance(n, ast.Constant) and isinstance(n.value, str)]
    return strings[-1] if strings else None


@pytest.mark.parametrize("prefix", sorted(GRADIENT_TAPE_SNIPPETS))
def test_explicit_gradient_tape_loop(prefix):
    assert prefix in BY_PREFIX, f"{prefix} is listed in GRADIENT_TAPE_SNIPPETS but does not exist"
    for label, _, use in USES[prefix]:
        assert "tf.GradientTape" in use.names, f"{prefix} [{label}]: no tf.GradientTape"
        if BY_PREFIX[prefix]["style"] == "keras":
            assert "os.environ" in BY_PREFIX[prefix]["code"] and "TensorFlow backend" in BY_PREFIX[prefix]["code"], (
                f"{prefix}: a Keras snippet using tf.GradientTape must select and label the TensorFlow backend"
            )
        else:
            assert "tf.function" in use.names, f"{prefix} [{label}]: the training step is not a @tf.function"


@pytest.mark.parametrize("prefix", sorted(ARCHITECTURE_SNIPPETS))
def test_shape_comments(prefix):
    assert prefix in BY_PREFIX, f"{prefix} is listed in ARCHITECTURE_SNIPPETS but does not exist"
    shapes = re.findall(r"#[^\n]*\((?:B|\d+|N), [^\n]*\)", BY_PREFIX[prefix]["code"])
    assert len(shapes) >= 3, f"{prefix}: comment tensor shapes where they change, e.g. # (B, H, W, C)"


def test_api_list_is_well_formed():
    lines = _api_lines()
    assert lines == sorted(lines), "keep keras_tf_public_api.txt sorted"
    assert len(lines) == len(set(lines)), "duplicate names in keras_tf_public_api.txt"
    for name in lines:
        assert re.fullmatch(r"(keras|tf)(\.[A-Za-z_][A-Za-z0-9_]*)+", name), f"not a public dotted name: {name!r}"
        assert not any(part.startswith("_") for part in name.split(".")), f"private name: {name}"
        assert not name.startswith("tf.compat"), f"tf.compat names are not current API: {name}"


def test_api_list_cites_the_official_references():
    header = [line for line in (Path(__file__).parent / "keras_tf_public_api.txt").read_text().splitlines() if line.startswith("#")]
    cited = " ".join(header)
    assert "https://keras.io/api/" in cited and "https://www.tensorflow.org/api_docs/python/tf" in cited


def test_api_list_has_no_unused_names():
    used = set()
    for uses in USES.values():
        for _, _, use in uses:
            used |= use.names
    # The Keras / TensorFlow project templates share the list (test_keras_tf_scaffolds.py checks them).
    for style in STYLES:
        for path in sorted((REPO / "src" / "scaffold" / "templates" / style).rglob("*.py")):
            used |= ApiUse(path.read_text(encoding="utf-8")).names
    unused = sorted(API - used)
    assert not unused, f"{API_FILE.name} lists names no snippet or project template uses (remove them): {unused}"


# ------------------------------------------------ the run-log writers (plain Python, no TensorFlow needed)


def _strict_json(line):
    def refuse(token):
        raise ValueError(f"bare {token} is not JSON")

    return json.loads(line, parse_constant=refuse)


def _check_run_log(run_dir, planned_epochs, planned_steps, status):
    """docs/run-log-format.md, format 1: what both JSONL snippets must write."""
    run = json.loads((run_dir / "run.json").read_text())
    assert run["name"] == run_dir.name and run["status"] == status
    assert run["planned_epochs"] == planned_epochs and run["planned_steps"] == planned_steps
    assert isinstance(run["started"], float) and isinstance(run["ended"], float) and run["ended"] >= run["started"]
    assert {"config", "pid"} <= set(run)
    rows = [_strict_json(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines()]
    assert rows, "no metrics written"
    last_step = {}
    for row in rows:
        assert list(row)[:4] == ["step", "epoch", "split", "time"], row
        assert row["split"] in ("train", "val") and isinstance(row["step"], int) and row["epoch"] >= 1
        assert row["step"] >= last_step.get(row["split"], 0), "step went back within a split"
        last_step[row["split"]] = row["step"]
        assert not [key for key in row if key.startswith("val_")], "val metrics keep their plain names"
        for key, value in list(row.items())[4:]:
            assert isinstance(value, float) or value in ("NaN", "Infinity", "-Infinity"), (key, value)
    return rows


def _fake_keras():
    import types

    class Callback:
        def __init__(self):
            self.params = {}

    keras = types.ModuleType("keras")
    keras.callbacks = types.SimpleNamespace(Callback=Callback)
    return keras


class _FakeModel:
    """fit() drives the callbacks the way Keras 3 does: 2 epochs of 3 steps, running-mean logs."""

    def __init__(self, fail=False):
        self.fail = fail

    def fit(self, train, validation_data=None, epochs=1, callbacks=()):
        (callback,) = callbacks
        callback.params = {"verbose": 1, "epochs": epochs, "steps": 3}
        callback.on_train_begin()
        for epoch in range(epochs):
            callback.on_epoch_begin(epoch)
            for batch in range(3):
                if self.fail and epoch == 1:
                    raise KeyboardInterrupt
                callback.on_train_batch_end(batch, {"loss": 1.0 / (batch + 1), "accuracy": float("nan")})
            callback.on_epoch_end(epoch, {"loss": 0.5, "accuracy": 0.75, "val_loss": 0.6, "val_accuracy": 0.7})
        callback.on_train_end()


@pytest.mark.parametrize("fail", [False, True], ids=["finished", "interrupted"])
def test_keras_jsonl_log_writes_the_run_log_format(fail, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setitem(sys.modules, "keras", _fake_keras())
    code = BY_PREFIX["keras-jsonl-log"]["code"]
    assert "log_every=50" in code
    code = code.replace("log_every=50", "log_every=2")
    names = {"model": _FakeModel(fail), "train_ds": [], "val_ds": []}
    if fail:
        with pytest.raises(KeyboardInterrupt):
            exec(compile(code, "keras-jsonl-log", "exec"), names)
    else:
        exec(compile(code, "keras-jsonl-log", "exec"), names)
    rows = _check_run_log(tmp_path / "runs" / "experiment", 10, 30, "failed" if fail else "finished")
    first_epoch = [(row["step"], row["epoch"], row["split"]) for row in rows if row["epoch"] == 1]
    assert first_epoch == [(2, 1, "train"), (3, 1, "train"), (3, 1, "val")]
    assert rows[0]["accuracy"] == "NaN", "a NaN metric is written as the string NaN"
    assert (rows[2]["loss"], rows[2]["accuracy"]) == (0.6, 0.7), "the val row holds val_loss / val_accuracy"


@pytest.mark.parametrize("fail", [False, True], ids=["finished", "failed"])
def test_tf_jsonl_log_writes_the_run_log_format(fail, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)

    class Metric:
        def __init__(self, value):
            self.value = value

        def result(self):
            return self.value

    def train_step(x, y):
        if fail and x == 3:
            raise RuntimeError("diverged")
        return float("inf") if x == 2 else 1.0 / x

    code = BY_PREFIX["tf-jsonl-log"]["code"]
    assert "step % 50" in code
    code = code.replace("step % 50", "step % 1")
    names = {
        "epochs": 2, "steps_per_epoch": 2, "train_ds": [(1, 0), (3, 0)] if fail else [(1, 0), (2, 0)],
        "train_step": train_step, "val_loss": Metric(0.25), "val_accuracy": Metric(0.5),
    }
    if fail:
        with pytest.raises(RuntimeError):
            exec(compile(code, "tf-jsonl-log", "exec"), names)
    else:
        exec(compile(code, "tf-jsonl-log", "exec"), names)
    rows = _check_run_log(tmp_path / "runs" / "experiment", 2, 4, "failed" if fail else "finished")
    if not fail:
        assert [(r["step"], r["epoch"], r["split"]) for r in rows] == [
            (1, 1, "train"), (2, 1, "train"), (2, 1, "val"), (3, 2, "train"), (4, 2, "train"), (4, 2, "val"),
        ]
        assert rows[1]["loss"] == "Infinity"
