"""Real graphs the package does not bundle, read from files fetched once (never downloaded here).

Not a benchmark itself; ``bench_ranking.py`` reads its second real graph from here.

**Debian's package dependencies** (:func:`load_debian_dependencies`): every binary
package of Debian 12 "bookworm", component ``main``, architecture ``amd64``, and the
packages it depends on (``Pre-Depends`` and ``Depends``). Rows are packages, links the
packages they need: a software-dependency graph, not a film's outgoing links. Fetch the
index once, from apt's own lists (the Debian package index is what apt downloads
with ``apt-get update``; nothing else is needed)::

    mkdir -p ~/.cache/sklearn_linkembed && /usr/lib/apt/apt-helper cat-file /var/lib/apt/lists/deb.debian.org_debian_dists_bookworm_main_binary-amd64_Packages.lz4 > ~/.cache/sklearn_linkembed/debian_bookworm_main_amd64_Packages

(on a Debian 12 machine whose ``/etc/apt/sources.list`` has ``bookworm main``; the
file is the ``Packages`` index of ``deb.debian.org/debian/dists/bookworm/main/
binary-amd64/``, ``apt-cache dumpavail`` prints the same records). Its source and
licence: the Debian archive, generated from the control file of each package; Debian
publishes the index with no licence of its own, and the fields read here (package
names and their dependencies) are facts about the packages, every one of which is
free software under the Debian Free Software Guidelines (component ``main``).
The figures of ``benchmarks/README.md`` were measured on Debian 12.15's index
(``InRelease`` dated 2026-07-11, 63,440 packages); :func:`file_digest` records the
SHA-256 of the file read, so that a result says which index it came from.
"""

import bz2
import gzip
import hashlib
import lzma
from pathlib import Path

DEBIAN_PACKAGES = Path("~/.cache/sklearn_linkembed/debian_bookworm_main_amd64_Packages")
FETCH_DEBIAN = (
    "mkdir -p ~/.cache/sklearn_linkembed && /usr/lib/apt/apt-helper cat-file "
    "/var/lib/apt/lists/deb.debian.org_debian_dists_bookworm_main_binary-amd64_Packages.lz4 "
    "> ~/.cache/sklearn_linkembed/debian_bookworm_main_amd64_Packages")
DEPENDENCY_FIELDS = ("Pre-Depends", "Depends")

_OPENERS = {".gz": gzip.open, ".xz": lzma.open, ".bz2": bz2.open}


def _open_text(path):
    """``path`` as text: plain, or compressed by gzip, xz or bzip2 (by its suffix)."""
    opener = _OPENERS.get(path.suffix, open)
    return opener(path, "rt", encoding="utf-8", errors="replace")


def read_control_stanzas(path):
    """The stanzas of a Debian control file (``Packages``): dicts of their top-level fields.

    Continuation lines (long descriptions) are skipped; field names keep their case.
    """
    stanza = {}
    with _open_text(Path(path)) as fh:
        for line in fh:
            line = line.rstrip("\n")
            if not line.strip():
                if stanza:
                    yield stanza
                stanza = {}
            elif line[0] not in " \t" and ":" in line:
                field, value = line.split(":", 1)
                stanza[field] = value.strip()
    if stanza:
        yield stanza


def parse_dependencies(value, *, alternatives="first"):
    """Package names of a ``Depends`` value: versions, architectures and profiles dropped.

    ``"libc6 (>= 2.34), libqt5gui5 (>= 5.15) | libqt5gui5-gles, perl:any"`` gives
    ``["libc6", "libqt5gui5", "perl"]``; with ``alternatives="all"`` every alternative
    of a clause (``libqt5gui5-gles`` too).
    """
    names = []
    for clause in value.split(","):
        options = clause.split("|")
        for option in options if alternatives == "all" else options[:1]:
            name = option.strip().split(" ", 1)[0].split("(", 1)[0].split("[", 1)[0]
            name = name.split("<", 1)[0].split(":", 1)[0].strip()
            if name:
                names.append(name)
    return names


def load_debian_dependencies(path=None, *, fields=DEPENDENCY_FIELDS, alternatives="first"):
    """Debian binary packages and the packages they depend on: ``(names, link_lists)``.

    Parameters
    ----------
    path : str or Path or None
        A ``Packages`` index (plain, ``.gz``, ``.xz`` or ``.bz2``); None reads
        :data:`DEBIAN_PACKAGES` (fetched by the command of :data:`FETCH_DEBIAN`).
    fields : tuple of str
        The dependency fields read (``Pre-Depends`` and ``Depends``: what a package
        needs to be installed; not ``Recommends`` or ``Suggests``).
    alternatives : {"first", "all"}
        Of a clause ``a | b``, the first alternative only (the one apt installs by
        default), or all of them (near-duplicate links: ``libqt5gui5`` and
        ``libqt5gui5-gles`` always together).

    Returns
    -------
    names : list of str
        Package names, in the order of the index (a name listed twice is kept once).
    link_lists : list of list of str
        The dependencies of each package, in order, each once, itself left out.
    """
    path = Path(path).expanduser() if path is not None else DEBIAN_PACKAGES.expanduser()
    if not path.exists():
        raise FileNotFoundError(f"No Debian package index at {path}; fetch it once with:\n"
                                f"    {FETCH_DEBIAN}")
    names, link_lists, seen = [], [], set()
    for stanza in read_control_stanzas(path):
        name = stanza.get("Package")
        if name is None or name in seen:
            continue
        seen.add(name)
        links = []
        for field in fields:
            links += parse_dependencies(stanza.get(field, ""), alternatives=alternatives)
        names.append(name)
        link_lists.append([link for link in dict.fromkeys(links) if link != name])
    return names, link_lists


def file_digest(path, algorithm="sha256"):
    """Hex digest of the file at ``path`` (which index a result was measured on)."""
    digest = hashlib.new(algorithm)
    with open(Path(path).expanduser(), "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
