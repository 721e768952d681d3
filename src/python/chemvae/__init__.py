"""chemvae for Python: the trained model (encode, decode, sample, optimize, interpolate),
RDKit scores of SMILES and chemistry-enabled results databases.

A small ctypes layer over the installed libchemvae.so.0, so no compiler and no extension
module are needed: `make install` puts this package in PREFIX/lib/python3/dist-packages
(add that directory to PYTHONPATH unless PREFIX is /usr) beside PREFIX/lib/libchemvae.so.0
and PREFIX/lib/chemvae_sqlite.so.

    import chemvae
    chemvae.score("OC(=O)c1ccccc1O")
    # {'smiles': 'OC(=O)c1ccccc1O', 'valid': True, 'canonical': 'O=C(O)c1ccccc1O',
    #  'mw': 138.122, 'logp': 1.0904, 'qed': 0.6103, 'sa': 1.4251, 'penalized_logp': -0.3347}
    z = chemvae.encode(["CCO", "c1ccccc1O"])      # numpy float32 array (2, Z)
    chemvae.decode(z)                             # a SMILES per row (None: not a molecule)
    chemvae.sample(100, seed=1)[0]                # {'smiles': ..., 'count': 1, 'qed': ...}
    r = chemvae.optimize(["CCO"], objective="qed", steps=50, constrained=0.4)
    r.starts[0]["best_smiles"], r.starts[0]["trajectory"]["z"]   # best molecule, path (n, Z)
    p = chemvae.interpolate("CCO", "c1ccccc1O", steps=8, method="linear")
    p.molecules, p.z                              # the path's molecules, its z (9, Z)
    con = chemvae.connect("results/chemvae.db")   # sqlite3 with tanimoto(), qed(), ...
    con.execute("SELECT smiles FROM molecules WHERE has_substruct(smiles, 'c1ccncc1')")

The values are those of `chemvae score`, `encode`, `decode`, `sample --no-db`,
`optimize --no-db` and `interpolate --no-db` (the same library): the same input, options and
seed give the same numbers and molecules. optimize and interpolate take the command's
options as keyword arguments by name ('_' for '-': decode_every=5, trust_radius=1.0,
minimize=True), set through the job's parameter table in the library (cv_optimize_params,
cv_interpolate_params), so their names, defaults, checks and messages are the command's
(a message names the command's option: "--lr must be positive"). The model calls take
model=None (the model the command line uses by default: see default_model_path), a path to
a .cvae checkpoint, or a Model. NumPy (Debian
python3-numpy) is needed for the model calls only. A failing library call raises OSError
(a file), ValueError (an argument or a SMILES), MemoryError, else RuntimeError, with the
library's message. The library is found next to the package's installation (PREFIX/lib),
or at the path in CHEMVAE_LIB.
"""
import collections
import ctypes
import json
import math
import os
import sqlite3

__all__ = ["version", "git_commit", "score", "connect", "library_path", "Model", "EncodeError",
           "Encoded", "default_model_path", "encode", "decode", "sample", "optimize",
           "Optimization", "interpolate", "Interpolation"]


def _lib_dir():
    # PREFIX/lib/python3/dist-packages/chemvae/__init__.py -> PREFIX/lib
    here = os.path.dirname(os.path.abspath(__file__))
    return os.path.normpath(os.path.join(here, "..", "..", ".."))


def library_path():
    """Path of the libchemvae.so.0 this package loads."""
    return os.environ.get("CHEMVAE_LIB") or os.path.join(_lib_dir(), "libchemvae.so.0")


# ---- the C structures this package passes (mirrors of include/chemvae/<module>/*.h) ----------------

class _Scores(ctypes.Structure):
    # include/chemvae/chem/chem.h ChemScores
    _fields_ = [("mw", ctypes.c_double), ("logp", ctypes.c_double), ("qed", ctypes.c_double),
                ("sa", ctypes.c_double), ("penalized_logp", ctypes.c_double),
                ("num_atoms", ctypes.c_int), ("largest_ring", ctypes.c_int)]


class _Error(ctypes.Structure):
    # include/chemvae/core/error.h CvError (CV_ERRMSG_MAX)
    _fields_ = [("code", ctypes.c_int), ("msg", ctypes.c_char * 10240)]


class _ModelInfo(ctypes.Structure):
    # include/chemvae/app/app_model.h CvModelInfo
    _fields_ = [("Z", ctypes.c_size_t), ("T", ctypes.c_size_t), ("max_B", ctypes.c_size_t),
                ("constrain", ctypes.c_int), ("path", ctypes.c_char_p),
                ("hash", ctypes.c_char_p)]


class _EncodeRow(ctypes.Structure):
    # include/chemvae/app/app_codec.h CvEncodeRow
    _fields_ = [("canonical", ctypes.c_char_p), ("error", ctypes.c_char_p)]


class _DecodeConfig(ctypes.Structure):
    # include/chemvae/app/app_codec.h CvDecodeConfig
    _fields_ = [("temperature", ctypes.c_double), ("seed", ctypes.c_uint64),
                ("first_row", ctypes.c_uint64), ("beam", ctypes.c_int), ("rescue", ctypes.c_int)]


class _LatentMol(ctypes.Structure):
    # include/chemvae/latent/latent.h LatentMol
    _fields_ = [("raw", ctypes.c_char_p), ("canonical", ctypes.c_char_p),
                ("valid", ctypes.c_int), ("scores", _Scores), ("failure", ctypes.c_int)]


class _SampleConfig(ctypes.Structure):
    # include/chemvae/app/app_sample.h CvSampleConfig
    _fields_ = [("n", ctypes.c_size_t), ("attempts", ctypes.c_size_t),
                ("temperature", ctypes.c_double), ("retry_temperature", ctypes.c_double),
                ("seed", ctypes.c_uint64), ("around", ctypes.c_char_p),
                ("radius", ctypes.c_double), ("beam", ctypes.c_int), ("rescue", ctypes.c_int),
                ("train_data", ctypes.c_char_p), ("scorer", ctypes.c_char_p),
                ("scorer_timeout", ctypes.c_double)]


class _UniqEntry(ctypes.Structure):
    # include/chemvae/latent/latent.h LatentUniqEntry
    _fields_ = [("smiles", ctypes.c_char_p), ("scores", _Scores), ("count", ctypes.c_size_t),
                ("first", ctypes.c_size_t)]


_SMILES_FAIL_COUNT = 7  # include/chemvae/data/smiles_grammar.h SmilesFailure


class _SampleResult(ctypes.Structure):
    # include/chemvae/app/app_sample.h CvSampleResult (uniq: latent.h LatentUniq)
    _fields_ = [("items", ctypes.POINTER(_UniqEntry)), ("n_uniq", ctypes.c_size_t),
                ("cap", ctypes.c_size_t), ("slots", ctypes.c_void_p),
                ("nslots", ctypes.c_size_t), ("novel", ctypes.POINTER(ctypes.c_ubyte)),
                ("similarity", ctypes.POINTER(ctypes.c_double)), ("around", ctypes.c_char_p),
                ("n_done", ctypes.c_size_t), ("n_decodes", ctypes.c_size_t),
                ("n_valid", ctypes.c_size_t), ("n_novel", ctypes.c_size_t),
                ("failures", ctypes.c_size_t * _SMILES_FAIL_COUNT),
                ("interrupted", ctypes.c_int), ("score", ctypes.POINTER(ctypes.c_double)),
                ("scorer_calls", ctypes.c_size_t)]


class _ParamTable(ctypes.Structure):
    # include/chemvae/app/app_params.h CvParamTable (the parameters themselves stay opaque)
    _fields_ = [("params", ctypes.c_void_p), ("n", ctypes.c_size_t)]


class _SmilesList(ctypes.Structure):
    # include/chemvae/app/app_optimize.h CvSmilesList
    _fields_ = [("smiles", ctypes.POINTER(ctypes.c_char_p)), ("n", ctypes.c_size_t),
                ("cap", ctypes.c_size_t)]


class _OptimizeConfig(ctypes.Structure):
    # include/chemvae/app/app_optimize.h CvOptimizeConfig (set through cv_optimize_params)
    _fields_ = [("objective", ctypes.c_char_p), ("minimize", ctypes.c_int),
                ("start", _SmilesList), ("starts_file", ctypes.c_char_p),
                ("limit", ctypes.c_size_t), ("from_data", ctypes.c_char_p),
                ("top", ctypes.c_size_t), ("random", ctypes.c_size_t),
                ("steps", ctypes.c_size_t), ("lr", ctypes.c_double), ("prior", ctypes.c_double),
                ("trust_radius", ctypes.c_double), ("decode_every", ctypes.c_size_t),
                ("decodes", ctypes.c_size_t), ("temperature", ctypes.c_double),
                ("beam", ctypes.c_int), ("rescue", ctypes.c_int), ("delta", ctypes.c_double),
                ("seed", ctypes.c_uint64), ("scorer", ctypes.c_char_p),
                ("scorer_timeout", ctypes.c_double)]


class _Rng(ctypes.Structure):
    # include/chemvae/core/rng.h CvRng
    _fields_ = [("s", ctypes.c_uint64 * 4), ("has_spare", ctypes.c_int),
                ("spare", ctypes.c_float)]


class _OptStart(ctypes.Structure):
    # include/chemvae/latent/latent_optimize.h LatentOptResult
    _fields_ = [("start_smiles", ctypes.c_char_p), ("start_score", ctypes.c_double),
                ("head_start", ctypes.c_double), ("head_end", ctypes.c_double),
                ("decoded", ctypes.c_size_t), ("valid", ctypes.c_size_t),
                ("best_smiles", ctypes.c_char_p), ("best_score", ctypes.c_double),
                ("best_sim", ctypes.c_double), ("best_step", ctypes.c_size_t),
                ("best_any_smiles", ctypes.c_char_p), ("best_any_score", ctypes.c_double),
                ("best_any_sim", ctypes.c_double), ("success", ctypes.c_int),
                ("improvement", ctypes.c_double), ("best_key", ctypes.c_double),
                ("best_any_key", ctypes.c_double)]


class _OptimizeResult(ctypes.Structure):
    # include/chemvae/app/app_optimize.h CvOptimizeResult (LATENT_OBJECTIVE_TEXT = 1024)
    _fields_ = [("objective", ctypes.c_char * 1024), ("n", ctypes.c_size_t),
                ("start_smiles", ctypes.POINTER(ctypes.c_char_p)),
                ("start_z", ctypes.POINTER(ctypes.c_float)),
                ("skipped", ctypes.POINTER(ctypes.c_char_p)), ("n_skipped", ctypes.c_size_t),
                ("per_start", ctypes.POINTER(_OptStart)), ("decoded", ctypes.c_size_t),
                ("valid", ctypes.c_size_t), ("best_found", ctypes.c_double),
                ("best_start", ctypes.c_size_t), ("n_mol", ctypes.c_size_t),
                ("n_success", ctypes.c_size_t), ("mean_improvement", ctypes.c_double),
                ("sd_improvement", ctypes.c_double), ("interrupted", ctypes.c_int),
                ("interrupted_step", ctypes.c_size_t), ("cap", ctypes.c_size_t),
                ("rng", _Rng), ("prepared", ctypes.c_int), ("has_true", ctypes.c_int),
                ("scorer_calls", ctypes.c_size_t), ("scorer_molecules", ctypes.c_size_t)]


class _InterpolateConfig(ctypes.Structure):
    # include/chemvae/app/app_interpolate.h CvInterpolateConfig (set through
    # cv_interpolate_params)
    _fields_ = [("from", ctypes.c_char_p), ("to", ctypes.c_char_p), ("slerp", ctypes.c_int),
                ("steps", ctypes.c_size_t), ("decodes", ctypes.c_size_t),
                ("temperature", ctypes.c_double), ("seed", ctypes.c_uint64),
                ("beam", ctypes.c_int), ("rescue", ctypes.c_int)]


class _InterpolateResult(ctypes.Structure):
    # include/chemvae/app/app_interpolate.h CvInterpolateResult (uniq: latent.h LatentUniq)
    _fields_ = [("from_smiles", ctypes.c_char_p), ("to_smiles", ctypes.c_char_p),
                ("n_points", ctypes.c_size_t), ("z", ctypes.POINTER(ctypes.c_float)),
                ("distance", ctypes.POINTER(ctypes.c_double)),
                ("items", ctypes.POINTER(_UniqEntry)), ("n_uniq", ctypes.c_size_t),
                ("cap", ctypes.c_size_t), ("slots", ctypes.c_void_p),
                ("nslots", ctypes.c_size_t), ("sim_from", ctypes.POINTER(ctypes.c_double)),
                ("sim_to", ctypes.POINTER(ctypes.c_double)), ("n_decodes", ctypes.c_size_t),
                ("n_valid", ctypes.c_size_t), ("interrupted", ctypes.c_int),
                ("prepared", ctypes.c_int)]


class _GenBatch(ctypes.Structure):
    # include/chemvae/app/app.h CvGenBatch
    _fields_ = [("method", ctypes.c_char_p), ("N", ctypes.c_size_t), ("K", ctypes.c_size_t),
                ("Z", ctypes.c_size_t), ("z", ctypes.POINTER(ctypes.c_float)),
                ("step", ctypes.POINTER(ctypes.c_int64)), ("step0", ctypes.c_int64),
                ("sources", ctypes.POINTER(ctypes.c_char_p)), ("source", ctypes.c_char_p),
                ("predicted", ctypes.c_void_p), ("pred_stride", ctypes.c_size_t),
                ("sim", ctypes.POINTER(ctypes.c_double))]


# CvHooks.rows: (user, batch, mols, err) -> CvStatus
_ROWS = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p, ctypes.POINTER(_GenBatch),
                         ctypes.POINTER(_LatentMol), ctypes.POINTER(_Error))


class _Hooks(ctypes.Structure):
    # include/chemvae/app/app.h CvHooks (no progress, no interrupts, no DB: rows only)
    _fields_ = [("progress", ctypes.c_void_p), ("interrupted", ctypes.c_void_p),
                ("rows", _ROWS), ("user", ctypes.c_void_p), ("db", ctypes.c_void_p),
                ("run_id", ctypes.c_int64)]


def _declare(lib):
    P = ctypes.POINTER
    sigs = {
        "cv_version": (ctypes.c_char_p, []),
        "cv_git_commit": (ctypes.c_char_p, []),
        "cv_chem_score_smiles": (ctypes.c_int, [ctypes.c_char_p, P(_Scores),
                                             P(ctypes.c_void_p)]),
        "cv_model_open": (ctypes.c_void_p, [ctypes.c_char_p, ctypes.c_size_t, P(_Error)]),
        "cv_model_close": (None, [ctypes.c_void_p]),
        "cv_model_info": (None, [ctypes.c_void_p, P(_ModelInfo)]),
        "cv_model_set_constrain": (ctypes.c_int, [ctypes.c_void_p, ctypes.c_int, P(_Error)]),
        "cv_encode": (ctypes.c_int, [ctypes.c_void_p, P(ctypes.c_char_p), ctypes.c_size_t,
                                     ctypes.c_void_p, ctypes.c_void_p, P(_EncodeRow),
                                     P(ctypes.c_size_t), P(_Error)]),
        "cv_encode_rows_free": (None, [P(_EncodeRow), ctypes.c_size_t]),
        "cv_decode": (ctypes.c_int, [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_size_t,
                                     P(_DecodeConfig), P(_LatentMol), P(_Error)]),
        "cv_latent_mols_free": (None, [P(_LatentMol), ctypes.c_size_t]),
        "cv_sample": (ctypes.c_int, [ctypes.c_void_p, P(_SampleConfig), ctypes.c_void_p,
                                     P(_SampleResult), P(_Error)]),
        "cv_sample_result_free": (None, [P(_SampleResult)]),
        "cv_smiles_failure_name": (ctypes.c_char_p, [ctypes.c_int]),
        "cv_smiles_constrain_name": (ctypes.c_char_p, [ctypes.c_int]),
        "cv_smiles_constrain_parse": (ctypes.c_int, [ctypes.c_char_p, P(ctypes.c_int)]),
        "cv_params_set": (ctypes.c_int, [P(_ParamTable), ctypes.c_void_p, ctypes.c_char_p,
                                         ctypes.c_char_p, P(_Error)]),
        "cv_optimize": (ctypes.c_int, [ctypes.c_void_p, P(_OptimizeConfig), P(_Hooks),
                                       P(_OptimizeResult), P(_Error)]),
        "cv_optimize_config_free": (None, [P(_OptimizeConfig)]),
        "cv_optimize_result_free": (None, [P(_OptimizeResult)]),
        "cv_interpolate": (ctypes.c_int, [ctypes.c_void_p, P(_InterpolateConfig), P(_Hooks),
                                          P(_InterpolateResult), P(_Error)]),
        "cv_interpolate_result_free": (None, [P(_InterpolateResult)]),
    }
    for name, (res, args) in sigs.items():
        f = getattr(lib, name)
        f.restype, f.argtypes = res, args


_lib = ctypes.CDLL(library_path())
_libc = ctypes.CDLL(None)
_declare(_lib)
_libc.free.argtypes = [ctypes.c_void_p]


# CvError codes (include/chemvae/core/error.h) as Python exceptions; the rest: RuntimeError
_EXCEPTIONS = {1: OSError, 2: MemoryError, 3: ValueError, 6: ValueError}


def _raise(err):
    raise _EXCEPTIONS.get(err.code, RuntimeError)("chemvae: " + err.msg.decode(errors="replace"))


def version():
    """chemvae's version, "MAJOR.MINOR.PATCH", of the loaded library."""
    return _lib.cv_version().decode()


def git_commit():
    """The git commit the loaded library was built from."""
    return _lib.cv_git_commit().decode()


_SCORE_KEYS = ("mw", "logp", "qed", "sa", "penalized_logp")


def score(smiles):
    """RDKit validity, canonical SMILES and scores of one SMILES string: a dict with
    smiles, valid, canonical, mw, logp, qed, sa, penalized_logp (None when invalid)."""
    s = _Scores()
    canon = ctypes.c_void_p()
    ok = _lib.cv_chem_score_smiles(smiles.encode(), ctypes.byref(s), ctypes.byref(canon))
    out = {"smiles": smiles, "valid": bool(ok), "canonical": None}
    for k in _SCORE_KEYS:
        out[k] = getattr(s, k) if ok else None
    if canon.value:
        out["canonical"] = ctypes.string_at(canon.value).decode()
        _libc.free(canon)
    return out


def connect(path, **kwargs):
    """sqlite3.connect(path, **kwargs) with chemvae's chemistry SQL functions loaded
    (mol_valid, canonical, mw, logp, qed, sa, penalized_logp, morgan_fp, tanimoto,
    has_substruct). An SQLite results database only: for a postgresql:// one, connect with
    a PostgreSQL client (psycopg2.connect(uri)) and use the RDKit cartridge's functions."""
    if str(path).startswith(("postgresql://", "postgres://")):
        raise ValueError("chemvae.connect opens SQLite results databases; %s is PostgreSQL: "
                         "use a PostgreSQL client such as psycopg2.connect() on it" % path)
    con = sqlite3.connect(path, **kwargs)
    con.enable_load_extension(True)
    con.load_extension(os.path.join(os.path.dirname(library_path()), "chemvae_sqlite"))
    con.enable_load_extension(False)
    return con


# ---- the model ---------------------------------------------------------------------------

_SHIPPED_MODEL = "zinc24k-small.cvae"


def default_model_path():
    """The checkpoint the model calls use without a model, found as the command line finds
    it: results/models/model.cvae (what `chemvae train` writes) when it exists in the
    working directory, else the shipped results/models/zinc24k-small.cvae of a checkout,
    else the installed copy PREFIX/share/chemvae/models/zinc24k-small.cvae beside the
    library."""
    for p in ("results/models/model.cvae", "results/models/" + _SHIPPED_MODEL):
        if os.path.exists(p):
            return p
    return os.path.normpath(os.path.join(os.path.dirname(library_path()), "..", "share",
                                         "chemvae", "models", _SHIPPED_MODEL))


class EncodeError(ValueError):
    """Some SMILES could not be encoded (encode with errors="raise").

    errors: {row index: reason}, e.g. {1: "invalid SMILES 'C1CC'"};
    mu: the whole (n, Z) result, NaN in the rows that failed."""

    def __init__(self, errors, mu):
        self.errors, self.mu = errors, mu
        shown = "; ".join("row %d: %s" % (i, m) for i, m in list(errors.items())[:5])
        more = " ..." if len(errors) > 5 else ""
        super().__init__("%d of %d SMILES cannot be encoded: %s%s"
                         % (len(errors), len(mu), shown, more))


Encoded = collections.namedtuple("Encoded", "mu logvar canonical errors")
Encoded.__doc__ = """encode_details' result: mu and logvar (n, Z) float32 arrays (NaN rows
where encoding failed), canonical[i] the canonical SMILES encoded (None on failure),
errors[i] None or why row i was not encoded."""


def _numpy():
    import numpy  # only the model calls need it
    return numpy


def _constrain_mode(name):
    mode = ctypes.c_int()
    if _lib.cv_smiles_constrain_parse(name.encode(), ctypes.byref(mode)) != 0:
        raise ValueError("constrain: unknown mode %r (none, syntax, valence)" % name)
    return mode.value


def _scores_dict(s):
    return {k: getattr(s, k) for k in _SCORE_KEYS}


# ---- jobs whose parameters are set by name (the command's parameter table) -------------

_OPTIMIZE_PARAMS = _ParamTable.in_dll(_lib, "cv_optimize_params")
_INTERPOLATE_PARAMS = _ParamTable.in_dll(_lib, "cv_interpolate_params")
_SIZE_MAX = ctypes.c_size_t(-1).value


def _defaults(cls, symbol):
    """A config struct holding the library's defaults (its const `symbol`)."""
    cfg = cls()
    ctypes.memmove(ctypes.byref(cfg), ctypes.addressof(cls.in_dll(_lib, symbol)),
                   ctypes.sizeof(cls))
    return cfg


def _set_params(table, cfg, items, keep):
    """Sets (name, value) items in cfg through the job's parameter table: the command's
    options, '_' or '-' between words. True sets a switch; None and False leave the
    default; other values are passed as text (a float as repr, the shortest text that reads
    back the same). The config borrows the texts: they are kept alive in `keep`."""
    err = _Error()
    for name, value in items:
        if value is None or value is False:
            continue
        if value is True:
            text = b""
        elif isinstance(value, float):
            text = repr(value).encode()
        else:
            text = str(os.fspath(value) if isinstance(value, os.PathLike) else value).encode()
        keep.append(text)
        if _lib.cv_params_set(ctypes.byref(table), ctypes.byref(cfg), name.encode(), text,
                              ctypes.byref(err)):
            _raise(err)


class _Rows:
    """A CvHooks.rows sink calling on_batch(batch, mols) with each batch of decodes; an
    exception there stops the job and is raised again by reraise()."""

    def __init__(self, on_batch):
        self.on_batch, self.error = on_batch, None
        self.callback = _ROWS(self._call)  # kept alive as long as the hooks
        self.hooks = _Hooks(rows=self.callback)

    def _call(self, user, batch, mols, err):
        try:
            self.on_batch(batch.contents, mols)
            return 0
        except BaseException as e:  # noqa: B902 (raised again after the job)
            self.error = e
            err.contents.code, err.contents.msg = 6, b"stopped by an exception in Python"
            return 6

    def reraise(self):
        if self.error is not None:
            raise self.error


def _text(b):
    return b.decode() if b is not None else None


def _finite(x):
    return x if math.isfinite(x) else None


def _canonicals(mols, first, K):
    return [mols[first + a].canonical.decode() if mols[first + a].valid else None
            for a in range(K)]


Optimization = collections.namedtuple(
    "Optimization", "objective starts skipped decoded valid best_found best_smiles "
    "mean_improvement sd_improvement success_rate")
Optimization.__doc__ = """optimize's result: objective (as the job read it, "-(...)" when
minimized), starts (a dict per start, see Model.optimize), skipped (why each start of
starts_file / from_data that could not be encoded was skipped), decoded and valid (over all
starts), best_found and best_smiles (the best valid molecule of any start, None without
one), mean_improvement, sd_improvement and success_rate (over the start molecules, None
without)."""

Interpolation = collections.namedtuple("Interpolation", "ends molecules z t distance decodes")
Interpolation.__doc__ = """interpolate's result: ends (the two canonical SMILES), molecules
(the distinct valid molecules in path order, as `chemvae interpolate` prints them: dicts with
step, t, distance, smiles, count, sim_from, sim_to, mw, logp, qed, sa, penalized_logp), z
(the path, float32 (steps + 1, Z)), t and distance ((steps + 1,) arrays: the position of each
point and the latent length travelled up to it) and decodes (per point, the canonical SMILES
of each of its decodes, None where not a molecule)."""


class Model:
    """A loaded .cvae checkpoint (the model calls of this module use one per path).

    Model(path=None, batch=256): path None is default_model_path(); batch is the largest
    decoding batch (as --batch of `chemvae sample`, 256 by default) and bounds a beam.
    Attributes: path (the file loaded), hash, latent_size (Z), max_tokens (T, <end>
    included), constrain ("none", "syntax" or "valence": the decoding mask, settable).
    A Model is used by one thread at a time. close() frees it (also on `with`)."""

    def __init__(self, path=None, batch=256):
        path = os.fspath(path) if path is not None else default_model_path()
        if batch < 1:
            raise ValueError("batch must be at least 1")
        err = _Error()
        self._m = _lib.cv_model_open(path.encode(), batch, ctypes.byref(err))
        if not self._m:
            _raise(err)
        self._refresh()

    def _refresh(self):
        info = _ModelInfo()
        _lib.cv_model_info(self._m, ctypes.byref(info))
        self.path, self.hash = info.path.decode(), info.hash.decode()
        self.latent_size, self.max_tokens, self.batch = info.Z, info.T, info.max_B
        self._constrain = info.constrain

    def _handle(self):
        if not self._m:
            raise ValueError("the model is closed")
        return self._m

    @property
    def constrain(self):
        return _lib.cv_smiles_constrain_name(self._constrain).decode()

    @constrain.setter
    def constrain(self, name):
        err = _Error()
        if _lib.cv_model_set_constrain(self._handle(), _constrain_mode(name), ctypes.byref(err)):
            _raise(err)
        self._refresh()

    def close(self):
        if getattr(self, "_m", None):
            _lib.cv_model_close(self._m)
            self._m = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __del__(self):
        self.close()

    def __repr__(self):
        return "chemvae.Model(%r)" % self.path

    # -- encode ------------------------------------------------------------------------------

    def encode_details(self, smiles):
        """Encodes a list of SMILES: an Encoded(mu, logvar, canonical, errors) (see Encoded).
        One SMILES that cannot be encoded (RDKit rejects it, a token outside the model's
        vocabulary, too long) is an error of its row only."""
        np = _numpy()
        smiles = list(smiles)
        n, Z = len(smiles), self.latent_size
        mu = np.empty((n, Z), dtype=np.float32)
        logvar = np.empty((n, Z), dtype=np.float32)
        arr = (ctypes.c_char_p * max(n, 1))(*[s.encode() for s in smiles])
        rows = (_EncodeRow * max(n, 1))()
        failed, err = ctypes.c_size_t(), _Error()
        if _lib.cv_encode(self._handle(), arr, n, mu.ctypes.data, logvar.ctypes.data, rows,
                          ctypes.byref(failed), ctypes.byref(err)):
            _raise(err)
        canonical = [r.canonical.decode() if r.canonical else None for r in rows[:n]]
        errors = [r.error.decode(errors="replace") if r.error else None for r in rows[:n]]
        _lib.cv_encode_rows_free(rows, n)
        return Encoded(mu, logvar, canonical, errors)

    def encode(self, smiles, errors="raise"):
        """The encoder's mean of each SMILES (as `chemvae encode` prints it): a float32
        array (n, Z) for a list of SMILES, (Z,) for one string.

        errors="raise" (default): if any SMILES cannot be encoded, raises EncodeError,
        whose .errors maps each failed row to its reason and whose .mu holds the rest;
        errors="nan": the failed rows are NaN (np.isnan(mu).any(axis=1) finds them)."""
        if errors not in ("raise", "nan"):
            raise ValueError('errors must be "raise" or "nan"')
        one = isinstance(smiles, str)
        r = self.encode_details([smiles] if one else smiles)
        bad = {i: e for i, e in enumerate(r.errors) if e is not None}
        if bad and errors == "raise":
            raise EncodeError(bad, r.mu)
        return r.mu[0] if one else r.mu

    # -- decode ------------------------------------------------------------------------------

    def _z_rows(self, z):
        np = _numpy()
        a = np.ascontiguousarray(z, dtype=np.float32)
        one = a.ndim == 1
        if one:
            a = a.reshape(1, -1)
        if a.ndim != 2 or a.shape[1] != self.latent_size:
            raise ValueError("z must have shape (n, %d) or (%d,), got %s"
                             % (self.latent_size, self.latent_size, np.shape(z)))
        bad = ~np.isfinite(a).all(axis=1)
        if bad.any():
            raise ValueError("z row %d is not finite (a SMILES that failed to encode?)"
                             % int(np.argmax(bad)))
        return a, one

    def decode_details(self, z, temperature=0.0, beam=1, rescue=1, seed=1, constrain=None):
        """Decodes latent vectors (an (n, Z) array): a list of dicts with smiles (the
        decoded string as the model wrote it), valid (RDKit accepts it), canonical, mw,
        logp, qed, sa, penalized_logp (None when not valid) and failure ("ok", or why the
        string is not a molecule: "syntax", "ring", "valence", ...). Options as decode."""
        a, _ = self._z_rows(z)
        n = a.shape[0]
        cfg = _DecodeConfig(temperature=temperature, seed=seed, first_row=0, beam=beam,
                            rescue=rescue)
        out = (_LatentMol * max(n, 1))()
        err = _Error()
        with _Constrained(self, constrain):
            st = _lib.cv_decode(self._handle(), a.ctypes.data, n, ctypes.byref(cfg), out,
                                ctypes.byref(err))
        if st:
            _raise(err)
        rows = []
        for m in out[:n]:
            d = {"smiles": m.raw.decode(), "valid": bool(m.valid),
                 "canonical": m.canonical.decode() if m.canonical else None}
            d.update({k: (getattr(m.scores, k) if m.valid else None) for k in _SCORE_KEYS})
            d["failure"] = _lib.cv_smiles_failure_name(m.failure).decode()
            rows.append(d)
        _lib.cv_latent_mols_free(out, n)
        return rows

    def decode(self, z, temperature=0.0, beam=1, rescue=1, seed=1, constrain=None):
        """The SMILES each latent vector decodes to, as `chemvae decode` prints it, or None
        where the decoded string is not a molecule: a list for an (n, Z) array, one value
        for a (Z,) vector. A row with NaN or Inf raises ValueError.

        temperature: 0 = greedy (default); > 0 samples softmax(logits / temperature),
        row i from its own stream of `seed`. beam: the greedy decode as a beam search of
        this many hypotheses. rescue: a greedy decode that is not a molecule is decoded
        again by a beam of this width (1 = off, as `chemvae decode`; sample's default is
        20). constrain: "none", "syntax" or "valence" for this call (None: the model's)."""
        _, one = self._z_rows(z)
        rows = self.decode_details(z, temperature, beam, rescue, seed, constrain)
        out = [r["smiles"] if r["valid"] else None for r in rows]
        return out[0] if one else out

    # -- sample ------------------------------------------------------------------------------

    def sample(self, n=100, seed=1, attempts=1, temperature=0.0, retry_temperature=1.0,
               around=None, radius=1.0, beam=1, rescue=20, data=None, constrain=None,
               scorer=None, scorer_timeout=600.0):
        """`chemvae sample --no-db`: n latent vectors from N(0, I) (or around=SMILES:
        its mu + radius * N(0, I)), `attempts` decodes each, and the distinct valid
        molecules in order of first appearance, as a list of dicts: smiles (canonical),
        count (decodes that gave it), first_index (the vector that first gave it), mw,
        logp, qed, sa, penalized_logp, plus similarity (Tanimoto to `around`) with around
        and novel (not in the train split of the dataset `data`, a .cvds) with data, and
        score (the value the program `scorer` gave it, None for none) with scorer, the
        molecules then best score first as the command prints them.
        Options and defaults as the command's; the validity is sum(counts) / (n * attempts).
        The call cannot be interrupted from Python; nothing is recorded in a DB."""
        if n < 1 or attempts < 1:
            raise ValueError("n and attempts must be at least 1")
        cfg = _SampleConfig(n=n, attempts=attempts, temperature=temperature,
                            retry_temperature=retry_temperature, seed=seed,
                            around=around.encode() if around is not None else None,
                            radius=radius, beam=beam, rescue=rescue,
                            train_data=os.fspath(data).encode() if data is not None else None,
                            scorer=scorer.encode() if scorer is not None else None,
                            scorer_timeout=scorer_timeout)
        res, err = _SampleResult(), _Error()
        with _Constrained(self, constrain):
            st = _lib.cv_sample(self._handle(), ctypes.byref(cfg), None, ctypes.byref(res),
                                ctypes.byref(err))
        try:
            if st:
                _raise(err)
            rows = [self._sample_row(res, i, attempts) for i in range(res.n_uniq)]
            if res.score:
                rows.sort(key=lambda d: (d["score"] is None, -(d["score"] or 0.0)))
            return rows
        finally:
            _lib.cv_sample_result_free(ctypes.byref(res))

    @staticmethod
    def _sample_row(res, i, attempts):
        e = res.items[i]
        d = {"smiles": e.smiles.decode(), "count": e.count, "first_index": e.first // attempts}
        d.update(_scores_dict(e.scores))
        if res.similarity:
            d["similarity"] = res.similarity[i]
        if res.novel:
            d["novel"] = bool(res.novel[i])
        if res.score:
            d["score"] = _finite(res.score[i])
        return d


    # -- optimize ----------------------------------------------------------------------------

    def optimize(self, starts=(), constrain=None, trajectory=True, **params):
        """`chemvae optimize --no-db`: gradient ascent on the property head's objective in
        latent space from each start, every decode point decoded and scored by RDKit.

        starts: SMILES of start molecules (a list, or one string); each must encode. params:
        the command's options by name, '_' for '-' (defaults as the command's): objective
        ("plogp", "qed", "5*qed-sa", ...), minimize, starts_file (a CSV with a smiles
        column: --starts; its molecules the model cannot encode are skipped), limit,
        from_data (a .cvds) and top, random (N starts z ~ N(0, I)), steps, lr, prior,
        trust_radius, decode_every, decodes, temperature, constrained (the similarity
        threshold DELTA), beam, rescue, seed, scorer (a program that judges the molecules:
        its values are then the scores) and scorer_timeout. constrain: the decoding mask
        for this call.

        Returns an Optimization; its starts are dicts with the command's columns (start,
        start_smiles, start_score, best_smiles, best_score, improvement, similarity,
        success, best_step, head_start, head_end, decoded, valid; None where the command
        prints nothing), best_any_smiles and best_any_score (regardless of similarity),
        start_z (the start's latent vector) and, with trajectory, trajectory: a dict of
        step (the decode points' steps), z (float32 (points, Z)), head (the head's
        objective value there, as recorded: 6 digits), smiles (per point, the canonical
        SMILES of each decode, None where not a molecule) and similarity ((points,
        decodes) Tanimoto to the start molecule, NaN where none)."""
        np = _numpy()
        starts = [starts] if isinstance(starts, str) else list(starts)
        if "starts_file" in params:
            params["starts"] = params.pop("starts_file")
        cfg, keep = _defaults(_OptimizeConfig, "cv_optimize_defaults"), []
        res, err, points = _OptimizeResult(), _Error(), {}
        rows = _Rows(lambda b, mols: self._optimize_point(np, b, mols, points))
        try:
            _set_params(_OPTIMIZE_PARAMS, cfg,
                        [("start", x) for x in starts] + list(params.items()), keep)
            with _Constrained(self, constrain):
                st = _lib.cv_optimize(self._handle(), ctypes.byref(cfg),
                                      ctypes.byref(rows.hooks) if trajectory else None,
                                      ctypes.byref(res), ctypes.byref(err))
            rows.reraise()
            if st:
                _raise(err)
            return self._optimization(np, res, points if trajectory else None)
        finally:
            _lib.cv_optimize_result_free(ctypes.byref(res))
            _lib.cv_optimize_config_free(ctypes.byref(cfg))

    @staticmethod
    def _optimize_point(np, b, mols, points):
        z = np.ctypeslib.as_array(b.z, shape=(b.N, b.Z))
        for i in range(b.N):
            t = points.setdefault(i, {"step": [], "z": [], "head": [], "smiles": [],
                                      "similarity": []})
            t["step"].append(b.step[i])
            t["z"].append(z[i].copy())
            pred = json.loads(ctypes.string_at(b.predicted + i * b.pred_stride).decode())
            t["head"].append(pred.get("objective", math.nan))
            t["smiles"].append(_canonicals(mols, i * b.K, b.K))
            t["similarity"].append([b.sim[i * b.K + a] for a in range(b.K)])

    def _optimization(self, np, res, points):
        n, Z = res.n, self.latent_size
        z0 = np.ctypeslib.as_array(res.start_z, shape=(n, Z)).copy() if n else None
        starts = []
        for i in range(n):
            p = res.per_start[i]
            d = {"start": i, "start_smiles": _text(res.start_smiles[i]),
                 "start_score": _finite(p.start_score), "best_smiles": _text(p.best_smiles),
                 "best_score": _finite(p.best_score), "improvement": _finite(p.improvement),
                 "similarity": _finite(p.best_sim),
                 "success": bool(p.success) if res.has_true else None,
                 "best_step": p.best_step, "head_start": p.head_start, "head_end": p.head_end,
                 "decoded": p.decoded, "valid": p.valid,
                 "best_any_smiles": _text(p.best_any_smiles),
                 "best_any_score": _finite(p.best_any_score), "start_z": z0[i]}
            if points is not None:
                t = points.get(i, {"step": [], "z": [], "head": [], "smiles": [],
                                   "similarity": []})
                d["trajectory"] = {
                    "step": np.array(t["step"], dtype=np.int64),
                    "z": np.array(t["z"], dtype=np.float32).reshape(-1, Z),
                    "head": np.array(t["head"], dtype=np.float64),
                    "smiles": t["smiles"],
                    "similarity": np.array(t["similarity"], dtype=np.float64).reshape(
                        len(t["smiles"]), -1)}
            starts.append(d)
        best = res.per_start[res.best_start].best_any_smiles if res.best_start != _SIZE_MAX \
            else None
        return Optimization(
            res.objective.decode(), starts, [res.skipped[i].decode(errors="replace")
                                             for i in range(res.n_skipped)],
            res.decoded, res.valid, _finite(res.best_found), _text(best),
            _finite(res.mean_improvement), _finite(res.sd_improvement),
            res.n_success / res.n_mol if res.n_mol and res.has_true else None)

    # -- interpolate -------------------------------------------------------------------------

    def interpolate(self, from_smiles, to_smiles, constrain=None, **params):
        """`chemvae interpolate --no-db FROM TO`: the path between the encoder means of two
        molecules (slerp by default), steps + 1 points, each decoded. params: the command's
        options by name (defaults as the command's): method ("linear" or "slerp"), steps,
        decodes (greedy + decodes-1 sampled per point), temperature, beam, rescue, seed.
        constrain: the decoding mask for this call. Returns an Interpolation (the path's
        molecules as the command prints them, z, t, distance and every decode)."""
        np = _numpy()
        cfg, keep = _defaults(_InterpolateConfig, "cv_interpolate_defaults"), []
        res, err, decodes = _InterpolateResult(), _Error(), []
        rows = _Rows(lambda b, mols: decodes.extend(_canonicals(mols, i * b.K, b.K)
                                                   for i in range(b.N)))
        try:
            _set_params(_INTERPOLATE_PARAMS, cfg, [("from", from_smiles), ("to", to_smiles)]
                        + list(params.items()), keep)
            with _Constrained(self, constrain):
                st = _lib.cv_interpolate(self._handle(), ctypes.byref(cfg),
                                         ctypes.byref(rows.hooks), ctypes.byref(res),
                                         ctypes.byref(err))
            rows.reraise()
            if st:
                _raise(err)
            n, K = res.n_points, cfg.decodes
            t = np.arange(n, dtype=np.float64) / (n - 1)
            distance = np.ctypeslib.as_array(res.distance, shape=(n,)).copy()
            molecules = []
            for u in range(res.n_uniq):
                e, i = res.items[u], res.items[u].first // K
                d = {"step": i, "t": float(t[i]), "distance": float(distance[i]),
                     "smiles": e.smiles.decode(), "count": e.count,
                     "sim_from": res.sim_from[u], "sim_to": res.sim_to[u]}
                d.update(_scores_dict(e.scores))
                molecules.append(d)
            z = np.ctypeslib.as_array(res.z, shape=(n, self.latent_size)).copy()
            return Interpolation((res.from_smiles.decode(), res.to_smiles.decode()), molecules,
                                 z, t, distance, decodes)
        finally:
            _lib.cv_interpolate_result_free(ctypes.byref(res))

class _Constrained:
    """A decoding mask for the duration of one call (None: leave the model's)."""

    def __init__(self, model, name):
        self.model, self.name, self.old = model, name, None

    def __enter__(self):
        if self.name is not None and self.name != self.model.constrain:
            self.old = self.model.constrain
            self.model.constrain = self.name

    def __exit__(self, *exc):
        if self.old is not None:
            self.model.constrain = self.old


_models = {}


def _model(model):
    """A Model for model=None, a path or a Model; one per path, kept loaded."""
    if isinstance(model, Model):
        return model
    path = os.path.abspath(os.fspath(model) if model is not None else default_model_path())
    if path not in _models:
        _models[path] = Model(path)
    return _models[path]


def encode(smiles, model=None, errors="raise"):
    """Model.encode with the model of `model` (None: default_model_path(), a path, or a
    Model): a float32 array (n, Z) of the encoder's means, (Z,) for one string. A SMILES
    that cannot be encoded raises EncodeError (naming each failed row and why; its .mu
    has NaN rows there), or with errors="nan" leaves NaN in its row."""
    return _model(model).encode(smiles, errors=errors)


def decode(z, model=None, temperature=0.0, beam=1, rescue=1, seed=1, constrain=None):
    """Model.decode with the model of `model`: the SMILES each row of z (n, Z) decodes to,
    None where it is not a molecule (a list; one value for a (Z,) vector)."""
    return _model(model).decode(z, temperature=temperature, beam=beam, rescue=rescue,
                                seed=seed, constrain=constrain)


def sample(n=100, seed=1, model=None, **options):
    """Model.sample with the model of `model`: the distinct valid molecules of n latent
    vectors from the prior, with counts and scores (list of dicts, as `chemvae sample
    --no-db` prints them). options: attempts, temperature, retry_temperature, around,
    radius, beam, rescue, data, constrain, scorer, scorer_timeout."""
    return _model(model).sample(n, seed=seed, **options)


def optimize(starts=(), model=None, **params):
    """Model.optimize with the model of `model`: gradient ascent on the property head's
    objective from each start (SMILES, plus starts_file, from_data, random), as `chemvae
    optimize --no-db` runs it; an Optimization with a dict per start (best molecule, its
    score and similarity, success, the trajectory). params: the command's options by name
    (objective, minimize, starts_file, limit, from_data, top, random, steps, lr, prior,
    trust_radius, decode_every, decodes, temperature, constrained, beam, rescue, seed,
    scorer, scorer_timeout), constrain, trajectory."""
    return _model(model).optimize(starts, **params)


def interpolate(from_smiles, to_smiles, model=None, **params):
    """Model.interpolate with the model of `model`: the latent path between two molecules
    and what it decodes to, as `chemvae interpolate --no-db` runs it; an Interpolation
    (molecules, z, t, distance, decodes). params: method, steps, decodes, temperature, beam,
    rescue, seed, constrain."""
    return _model(model).interpolate(from_smiles, to_smiles, **params)
