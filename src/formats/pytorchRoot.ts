/**
 * What the object torch.save pickled is, and where its model weights are:
 * a state_dict, a training checkpoint that holds one, a Lightning
 * checkpoint, a whole pickled nn.Module, or a TorchScript module. Everything
 * else in the file (epoch, optimizer state, hyper-parameters, ...) becomes a
 * FileFact. Walks are iterative or depth-bounded and never revisit a value.
 */
import type { FileFact } from '../protocol/model';
import {
  NumpyScalar,
  PyDict,
  PyObject,
  PyTuple,
  TorchTensor,
  describeValue,
  isContainer,
  pickleChildren,
  type PickleValue,
} from './pickleValues';

export interface FoundTensor {
  /** Dotted name as in the state_dict (`features.0.weight`). */
  path: string;
  tensor: TorchTensor;
  /** Known from the pickle (parameters vs buffers); undefined when only the name can tell. */
  trainable?: boolean;
}

export interface RootReading {
  formatLabel: string;
  tensors: FoundTensor[];
  facts: FileFact[];
  /** Module path ('' for the root) to the qualified class the pickle names (`__main__.Net`); empty for plain state_dicts. */
  moduleClasses: Map<string, string>;
  warnings: string[];
  /** Set when the file says who wrote it better than the container does (Lightning). */
  producer?: string;
}

/** Keys under which training scripts keep the model's weights, most specific first. */
const MODEL_KEYS = ['state_dict', 'model_state_dict', 'model_state', 'model', 'net', 'network', 'module', 'weights', 'params', 'ema', 'model_ema', 'generator'];
const OPTIMIZER_KEY = /optim|scaler|scheduler/i;
const MAX_MODULE_DEPTH = 200;
const MAX_TENSORS = 1_000_000;
const MAX_FACT_TEXT = 200;
const MAX_LISTED = 20;

/** The entries of a dict-like value: dicts, and dict subclasses pickled as records (Lightning's AttributeDict). */
function dictEntries(value: PickleValue): Map<PickleValue, PickleValue> | undefined {
  if (value instanceof PyDict) return value.entries;
  if (value instanceof PyObject) {
    if (value.dictItems.size) return value.dictItems;
    if (value.global === 'argparse.Namespace') return value.stateDict?.entries;
  }
  return undefined;
}

/** A dict whose values are all tensors (at least one). */
function isStateDict(value: PickleValue): value is PyDict {
  if (!(value instanceof PyDict) || value.entries.size === 0) return false;
  for (const [key, item] of value.entries) if (typeof key !== 'string' || !(item instanceof TorchTensor)) return false;
  return true;
}

/** An nn.Module instance pickled whole: a record whose state has `_modules` / `_parameters`. */
function isModuleObject(value: PickleValue): value is PyObject {
  const state = value instanceof PyObject ? value.stateDict : undefined;
  return state !== undefined && (state.has('_modules') || state.has('_parameters'));
}

function isTorchScriptObject(value: PickleValue): value is PyObject {
  return value instanceof PyObject && value.global.startsWith('__torch__.');
}

/** `__torch__.torch.nn.modules.linear.___torch_mangle_3.Linear` -> `Linear`; `__main__.Net` -> `Net`. */
export function shortClassName(qualified: string): string {
  return qualified.slice(qualified.lastIndexOf('.') + 1);
}

function join(prefix: string, name: string): string {
  return prefix ? `${prefix}.${name}` : name;
}

function stateDictTensors(dict: PyDict, prefix = ''): FoundTensor[] {
  const out: FoundTensor[] = [];
  for (const [key, value] of dict.entries) if (value instanceof TorchTensor) out.push({ path: join(prefix, String(key)), tensor: value });
  return out;
}

/** What one module of a pickled tree holds: its tensors and its child modules, by attribute name. */
interface ModuleContents {
  tensors: [name: string, tensor: TorchTensor, trainable: boolean][];
  children: [name: string, module: PyObject][];
}

/**
 * The tensors of a pickled module tree, named as its state_dict would name
 * them, walked depth-first (bounded in depth and count, cycles skipped);
 * records each module's class by path in `classes`.
 */
function treeTensors(root: PyObject, classes: Map<string, string>, contents: (module: PyObject) => ModuleContents): FoundTensor[] {
  const out: FoundTensor[] = [];
  const onPath = new Set<PyObject>();
  const visit = (module: PyObject, prefix: string, depth: number) => {
    if (depth > MAX_MODULE_DEPTH || onPath.has(module) || out.length > MAX_TENSORS) return;
    onPath.add(module);
    classes.set(prefix, module.global);
    const { tensors, children } = contents(module);
    for (const [name, tensor, trainable] of tensors) out.push({ path: join(prefix, name), tensor, trainable });
    for (const [name, child] of children) visit(child, join(prefix, name), depth + 1);
    onPath.delete(module);
  };
  visit(root, '', 0);
  return out;
}

/** An nn.Module: `_parameters` (trainable as saved), `_buffers` (never trainable) and `_modules`. */
function moduleContents(module: PyObject): ModuleContents {
  const found: ModuleContents = { tensors: [], children: [] };
  const state = module.stateDict;
  const parameters = state?.get('_parameters');
  const buffers = state?.get('_buffers');
  const children = state?.get('_modules');
  if (parameters instanceof PyDict) for (const [name, tensor] of parameters.entries) if (tensor instanceof TorchTensor) found.tensors.push([String(name), tensor, tensor.requiresGrad]);
  if (buffers instanceof PyDict) for (const [name, tensor] of buffers.entries) if (tensor instanceof TorchTensor) found.tensors.push([String(name), tensor, false]);
  if (children instanceof PyDict) for (const [name, child] of children.entries) if (child instanceof PyObject) found.children.push([String(name), child]);
  return found;
}

/** A TorchScript module: every attribute that is a tensor is a weight, every `__torch__` object a submodule. */
function scriptContents(module: PyObject): ModuleContents {
  const found: ModuleContents = { tensors: [], children: [] };
  for (const [name, value] of module.stateDict?.entries ?? []) {
    if (value instanceof TorchTensor) found.tensors.push([String(name), value, value.requiresGrad]);
    else if (isTorchScriptObject(value)) found.children.push([String(name), value]);
  }
  return found;
}

/** Every tensor reachable from `value` once (by identity), with its element count. */
export function countTensors(value: PickleValue): { tensors: number; values: number } {
  const seen = new Set<object>();
  let tensors = 0;
  let values = 0;
  const pending: PickleValue[] = [value];
  while (pending.length) {
    const item = pending.pop() as PickleValue;
    if (item === null || typeof item !== 'object' || seen.has(item)) continue;
    seen.add(item);
    if (item instanceof TorchTensor) {
      tensors++;
      values += item.elements;
    } else if (isContainer(item)) {
      pending.push(...pickleChildren(item));
    }
  }
  return { tensors, values };
}

/** Tensors of a dict that is not a state_dict, under dotted key paths, skipping optimizer-like keys. */
function looseTensors(value: PickleValue, prefix: string, depth: number, seen: Set<object>, out: FoundTensor[]): void {
  if (depth > 32 || value === null || typeof value !== 'object' || seen.has(value) || out.length > MAX_TENSORS) return;
  seen.add(value);
  if (value instanceof TorchTensor) {
    out.push({ path: prefix || 'tensor', tensor: value });
    return;
  }
  const entries = dictEntries(value);
  if (entries) {
    for (const [key, item] of entries) if (!(typeof key === 'string' && OPTIMIZER_KEY.test(key))) looseTensors(item, join(prefix, String(key)), depth + 1, seen, out);
    return;
  }
  const items = Array.isArray(value) ? value : value instanceof PyTuple ? value.items : undefined;
  items?.forEach((item, index) => looseTensors(item, join(prefix, String(index)), depth + 1, seen, out));
}

function clip(text: string): string {
  return text.length > MAX_FACT_TEXT ? `${text.slice(0, MAX_FACT_TEXT - 3)}...` : text;
}

/** A scalar or short description of a value, for a fact. */
function factText(value: PickleValue): string {
  if (typeof value === 'string') return clip(value);
  if (value instanceof NumpyScalar && value.value !== null) return String(value.value);
  if (value instanceof TorchTensor && value.elements === 1) return `tensor ${value.dtype} (1 value)`;
  return clip(describeValue(value));
}

/** `lr=0.02, hidden=64, ...` for a dict of settings. */
function settingsText(entries: Map<PickleValue, PickleValue>): string {
  const parts: string[] = [];
  for (const [key, value] of entries) {
    if (parts.length >= MAX_LISTED) {
      parts.push(`... (${entries.size - MAX_LISTED} more)`);
      break;
    }
    parts.push(`${typeof key === 'string' ? key : describeValue(key)}=${factText(value)}`);
  }
  return clip(parts.join(', ')) || '(empty)';
}

function keysText(entries: Map<PickleValue, PickleValue>): string {
  const keys = [...entries.keys()].slice(0, MAX_LISTED).map((key) => (typeof key === 'string' ? key : describeValue(key)));
  const more = entries.size > MAX_LISTED ? `, ... (${entries.size - MAX_LISTED} more)` : '';
  return clip(keys.join(', ') + more) || '(empty)';
}

/** The learning rates an optimizer's param_groups name. */
function learningRates(value: PickleValue): number[] {
  const optimizers = Array.isArray(value) ? value : [value];
  const rates: number[] = [];
  for (const optimizer of optimizers.slice(0, MAX_LISTED)) {
    const groups = dictEntries(optimizer)?.get('param_groups');
    if (!Array.isArray(groups)) continue;
    for (const group of groups.slice(0, MAX_LISTED)) {
      const lr = dictEntries(group)?.get('lr');
      if (typeof lr === 'number') rates.push(lr);
    }
  }
  return rates;
}

function optimizerFact(label: string, value: PickleValue): FileFact {
  const { tensors, values } = countTensors(value);
  const rates = [...new Set(learningRates(value))];
  const lr = rates.length ? `; lr ${rates.join(', ')}` : '';
  return { label, value: `optimizer state: ${tensors} tensors, ${values} values${lr}` };
}

/** One fact per checkpoint entry that is not the model's weights. */
function checkpointFacts(entries: Map<PickleValue, PickleValue>, modelKey: string | undefined): FileFact[] {
  const facts: FileFact[] = [];
  for (const [key, value] of entries) {
    const label = typeof key === 'string' ? key : describeValue(key);
    if (label === modelKey) continue;
    if (/optim/i.test(label)) {
      facts.push(optimizerFact(label, value));
      continue;
    }
    const items = dictEntries(value);
    if (label === 'hyper_parameters' || label === 'hparams' || label === 'args' || label === 'config') {
      facts.push({ label, value: items ? settingsText(items) : factText(value) });
    } else if (items) {
      facts.push({ label, value: `${describeValue(value)}: ${keysText(items)}` });
    } else if (Array.isArray(value)) {
      const kinds = value.slice(0, MAX_LISTED).map((item) => (item instanceof PyObject ? shortClassName(item.global) : describeValue(item)));
      facts.push({ label, value: value.length ? clip(`${value.length} item(s): ${kinds.join(', ')}`) : 'none' });
    } else {
      facts.push({ label, value: factText(value) });
    }
  }
  return facts;
}

function isLightning(entries: Map<PickleValue, PickleValue>): boolean {
  if (entries.has('pytorch-lightning_version')) return true;
  return entries.has('state_dict') && entries.has('global_step') && (entries.has('optimizer_states') || entries.has('loops'));
}

/** Reads what the root object of a torch pickle is. `torchscript` for a torch.jit.save archive's data.pkl. */
export function readRoot(root: PickleValue, torchscript: boolean): RootReading {
  const classes = new Map<string, string>();
  const warnings: string[] = [];
  if (torchscript) {
    if (!isTorchScriptObject(root)) return { formatLabel: 'TorchScript archive', tensors: [], facts: [], moduleClasses: classes, warnings: ['data.pkl holds no TorchScript module.'] };
    return { formatLabel: 'TorchScript module', tensors: treeTensors(root, classes, scriptContents), facts: [], moduleClasses: classes, warnings };
  }
  if (isStateDict(root)) return { formatLabel: 'PyTorch state_dict', tensors: stateDictTensors(root), facts: [], moduleClasses: classes, warnings };
  if (isModuleObject(root)) return { formatLabel: 'PyTorch whole-model pickle', tensors: treeTensors(root, classes, moduleContents), facts: [], moduleClasses: classes, warnings };
  if (root instanceof TorchTensor) return { formatLabel: 'PyTorch tensor', tensors: [{ path: 'tensor', tensor: root }], facts: [], moduleClasses: classes, warnings };

  const entries = dictEntries(root);
  if (!entries) {
    const tensors: FoundTensor[] = [];
    looseTensors(root, '', 0, new Set(), tensors);
    if (!tensors.length) warnings.push(`The file holds ${describeValue(root)}, not a model.`);
    return { formatLabel: 'PyTorch pickle', tensors, facts: [], moduleClasses: classes, warnings };
  }

  const lightning = isLightning(entries);
  const modelKey = MODEL_KEYS.find((key) => {
    const value = entries.get(key);
    return value !== undefined && (isStateDict(value) || isModuleObject(value));
  });
  let tensors: FoundTensor[];
  if (modelKey !== undefined) {
    const model = entries.get(modelKey) as PickleValue;
    tensors = isModuleObject(model) ? treeTensors(model, classes, moduleContents) : stateDictTensors(model as PyDict);
  } else {
    tensors = [];
    looseTensors(root, '', 0, new Set(), tensors);
    if (!tensors.length) warnings.push('No model weights found in this checkpoint.');
  }
  const facts = checkpointFacts(entries, modelKey);
  if (modelKey !== undefined && !lightning) facts.unshift({ label: 'model weights', value: `under "${modelKey}"` });
  const version = entries.get('pytorch-lightning_version');
  return {
    formatLabel: lightning ? 'PyTorch Lightning checkpoint' : 'PyTorch checkpoint',
    tensors,
    facts,
    moduleClasses: classes,
    warnings,
    ...(lightning ? { producer: typeof version === 'string' ? `PyTorch Lightning ${version}` : 'PyTorch Lightning' } : {}),
  };
}
