"""chemvae for Python: RDKit scores of SMILES and chemistry-enabled results databases.

A small ctypes layer over the installed libchemvae.so.0, so no compiler and no extension
module are needed: `make install` puts this package in PREFIX/lib/python3/dist-packages
(add that directory to PYTHONPATH unless PREFIX is /usr) beside PREFIX/lib/libchemvae.so.0
and PREFIX/lib/chemvae_sqlite.so.

    import chemvae
    chemvae.score("OC(=O)c1ccccc1O")
    # {'smiles': 'OC(=O)c1ccccc1O', 'valid': True, 'canonical': 'O=C(O)c1ccccc1O',
    #  'mw': 138.122, 'logp': 1.0904, 'qed': 0.6103, 'sa': 1.4251, 'penalized_logp': -0.3347}
    con = chemvae.connect("results/chemvae.db")   # sqlite3 with tanimoto(), qed(), ...
    con.execute("SELECT smiles FROM molecules WHERE has_substruct(smiles, 'c1ccncc1')")

The values are those of `chemvae score` (the same library). The library is found next to
the package's installation (PREFIX/lib), or at the path in CHEMVAE_LIB.
"""
import ctypes
import os
import sqlite3

__all__ = ["version", "git_commit", "score", "connect", "library_path"]


def _lib_dir():
    # PREFIX/lib/python3/dist-packages/chemvae/__init__.py -> PREFIX/lib
    here = os.path.dirname(os.path.abspath(__file__))
    return os.path.normpath(os.path.join(here, "..", "..", ".."))


def library_path():
    """Path of the libchemvae.so.0 this package loads."""
    return os.environ.get("CHEMVAE_LIB") or os.path.join(_lib_dir(), "libchemvae.so.0")


class _Scores(ctypes.Structure):
    # include/chemvae/chem.h ChemScores
    _fields_ = [("mw", ctypes.c_double), ("logp", ctypes.c_double), ("qed", ctypes.c_double),
                ("sa", ctypes.c_double), ("penalized_logp", ctypes.c_double),
                ("num_atoms", ctypes.c_int), ("largest_ring", ctypes.c_int)]


_lib = ctypes.CDLL(library_path())
_libc = ctypes.CDLL(None)
_lib.cv_version.restype = ctypes.c_char_p
_lib.cv_git_commit.restype = ctypes.c_char_p
_lib.chem_score_smiles.argtypes = [ctypes.c_char_p, ctypes.POINTER(_Scores),
                                   ctypes.POINTER(ctypes.c_void_p)]
_lib.chem_score_smiles.restype = ctypes.c_int
_libc.free.argtypes = [ctypes.c_void_p]


def version():
    """chemvae's version, "MAJOR.MINOR.PATCH", of the loaded library."""
    return _lib.cv_version().decode()


def git_commit():
    """The git commit the loaded library was built from."""
    return _lib.cv_git_commit().decode()


def score(smiles):
    """RDKit validity, canonical SMILES and scores of one SMILES string: a dict with
    smiles, valid, canonical, mw, logp, qed, sa, penalized_logp (None when invalid)."""
    s = _Scores()
    canon = ctypes.c_void_p()
    ok = _lib.chem_score_smiles(smiles.encode(), ctypes.byref(s), ctypes.byref(canon))
    out = {"smiles": smiles, "valid": bool(ok), "canonical": None}
    for k in ("mw", "logp", "qed", "sa", "penalized_logp"):
        out[k] = getattr(s, k) if ok else None
    if canon.value:
        out["canonical"] = ctypes.string_at(canon.value).decode()
        _libc.free(canon)
    return out


def connect(path, **kwargs):
    """sqlite3.connect(path, **kwargs) with chemvae's chemistry SQL functions loaded
    (mol_valid, canonical, mw, logp, qed, sa, penalized_logp, tanimoto, has_substruct)."""
    con = sqlite3.connect(path, **kwargs)
    con.enable_load_extension(True)
    con.load_extension(os.path.join(os.path.dirname(library_path()), "chemvae_sqlite"))
    con.enable_load_extension(False)
    return con
