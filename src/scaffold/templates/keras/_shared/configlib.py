"""config.toml -> frozen dataclasses, strictly: every key is required, no other key is allowed.

The dataclasses themselves are in config.py. A typo in config.toml is an error here, never a
silently ignored setting, and every value is checked against its field's type. Nothing in this
module imports TensorFlow or Keras, so tools and tests can read a configuration without them.
"""
import dataclasses
import sys
import typing

if sys.version_info >= (3, 11):
    import tomllib
else:  # Python 3.9 and 3.10: requirements.txt installs tomli
    import tomli as tomllib


class ConfigError(ValueError):
    """config.toml does not match the dataclasses in config.py."""


def load(path, schema):
    """The TOML file at `path` as an instance of the dataclass `schema`."""
    with open(path, "rb") as f:
        table = tomllib.load(f)
    return build(schema, table, "")


def build(schema, table, where=""):
    """An instance of the dataclass `schema` from a TOML table (a dict), checking keys and types."""
    label = f"[{where}]" if where else "the top level"
    if not isinstance(table, dict):
        raise ConfigError(f"{label} must be a table")
    fields = {field.name: field for field in dataclasses.fields(schema)}
    unknown = sorted(set(table) - set(fields))
    if unknown:
        raise ConfigError(f"unknown key(s) in {label}: {', '.join(unknown)} (config.py lists the keys)")
    missing = sorted(set(fields) - set(table))
    if missing:
        raise ConfigError(f"missing key(s) in {label}: {', '.join(missing)}")
    values = {}
    for name, field in fields.items():
        values[name] = _convert(field.type, table[name], f"{where}.{name}" if where else name)
    return schema(**values)


def _convert(kind, value, key):
    if dataclasses.is_dataclass(kind):
        return build(kind, value, key)
    if typing.get_origin(kind) is tuple:  # tuple[int, ...]: a TOML array
        item = typing.get_args(kind)[0]
        if not isinstance(value, list):
            raise ConfigError(f"{key} must be an array, not {value!r}")
        return tuple(_convert(item, v, f"{key}[{i}]") for i, v in enumerate(value))
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if kind is int and isinstance(value, bool):
        raise ConfigError(f"{key} must be an integer, not {value!r}")
    if not isinstance(value, kind):
        raise ConfigError(f"{key} must be of type {kind.__name__}, not {value!r}")
    return value


def with_changes(config, section, **changes):
    """A copy of `config` with some keys of one section replaced: with_changes(cfg, "train", epochs=1)."""
    table = getattr(config, section)
    return dataclasses.replace(config, **{section: dataclasses.replace(table, **changes)})


def as_dict(config):
    """The configuration as plain JSON-ready data (for run.json)."""
    return dataclasses.asdict(config)
