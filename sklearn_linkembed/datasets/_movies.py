"""Loaders for films and their outgoing Wikipedia links.

The layout is that of ``wp_movies_10k.ndjson``, the data file of notebook 04.2,
"Build a recommender system based on outgoing Wikipedia links", of the Deep
Learning Cookbook (Douwe Osinga, O'Reilly 2018;
https://github.com/DOsinga/deep_learning_cookbook).
"""

import gzip
import json
import math
import os
from importlib import resources

import numpy as np
from sklearn.utils import Bunch

__all__ = ["load_wikipedia_movies", "read_movies_ndjson"]

_DATA_FILE = "wikipedia_movies.ndjson.gz"
_DATA_README = "README.md"
_GZIP_MAGIC = b"\x1f\x8b"
_LAYOUT = "[title, properties, links, rotten_tomatoes, imdb_rating]"
# Everything after ``links`` is read from the end of the line, so that
# rotten_tomatoes is ``movie[-2]`` as in the notebook; five fields at least
# keep ``movie[-2]`` from pointing at the links themselves.
_MIN_FIELDS = 5


def read_movies_ndjson(path):
    r"""Read films and their links from a file in the ``wp_movies_10k.ndjson`` layout.

    Each line holds one JSON array
    ``[title, properties, links, rotten_tomatoes, imdb_rating]``, as in the
    ``wp_movies_10k.ndjson`` file of the Deep Learning Cookbook's notebook
    04.2 (Douwe Osinga, O'Reilly 2018) and in the bundled data. Lines may
    carry extra fields before the last two: the Rotten Tomatoes score is
    always read from ``movie[-2]`` and the IMDB rating from ``movie[-1]``,
    the way the notebook does. The file may be plain or
    gzip-compressed; gzip is recognised by its magic bytes, not by its name.
    Blank lines are skipped.

    Parameters
    ----------
    path : str or os.PathLike
        The file to read, UTF-8 encoded.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        Dictionary-like object with the following attributes, one entry per
        film in file order.

        titles : list of str
            The film titles, ``movie[0]``.
        links : list of list of str
            The outgoing links of each film, ``movie[2]`` unchanged.
        rotten_tomatoes : ndarray of shape (n_films,), dtype float64
            The Rotten Tomatoes score as a fraction in [0, 1], read from a
            string such as ``"87%"`` as ``float(s[:-1]) / 100``; NaN where
            the field is null or empty.
        imdb_rating : ndarray of shape (n_films,), dtype float64
            The IMDB rating out of 10, read from a string such as
            ``"7.2/10"``; NaN where the last field is null, empty or not a
            string of that form.
        properties : list of dict
            The ``properties`` dictionary of each film, ``{}`` where null.
        filename : str
            The path that was read.

    Raises
    ------
    ValueError
        If a line is not valid JSON, not an array of at least five fields,
        has a title that is not a string, properties that are not an object,
        links that are not an array of strings, or a Rotten Tomatoes or IMDB
        field that cannot be parsed. The message names the file and the
        1-based line number.

    See Also
    --------
    load_wikipedia_movies : Load the bundled film data, read with this function.

    Examples
    --------
    >>> import json, tempfile, os
    >>> from sklearn_linkembed.datasets import read_movies_ndjson
    >>> lines = [
    ...     ["Alien (film)", {"year": 1979}, ["Ridley Scott", "Sigourney Weaver"],
    ...      "98%", "8.5/10"],
    ...     ["Blade Runner", {"year": 1982}, ["Ridley Scott"], None, None],
    ... ]
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     path = os.path.join(tmp, "movies.ndjson")
    ...     with open(path, "w", encoding="utf-8") as f:
    ...         f.writelines(json.dumps(line) + "\n" for line in lines)
    ...     movies = read_movies_ndjson(path)
    >>> movies.titles
    ['Alien (film)', 'Blade Runner']
    >>> movies.links[1]
    ['Ridley Scott']
    >>> movies.rotten_tomatoes
    array([0.98,  nan])
    >>> movies.imdb_rating
    array([8.5, nan])
    """
    filename = os.fspath(path)
    with open(filename, "rb") as raw:
        compressed = raw.read(2) == _GZIP_MAGIC
    opener = gzip.open if compressed else open
    with opener(filename, "rb") as f:
        bunch = _parse_lines(f, filename)
    bunch.filename = filename
    return bunch


def load_wikipedia_movies(*, as_frame=False):
    """Load the bundled American films and their links (36,116 films).

    A stand-in for ``wp_movies_10k.ndjson``, the data file of notebook 04.2,
    "Build a recommender system based on outgoing Wikipedia links", of the
    Deep Learning Cookbook (Douwe Osinga, O'Reilly 2018;
    https://github.com/DOsinga/deep_learning_cookbook), rebuilt from public
    data: the American films listed on Wikipedia (from
    https://github.com/prust/wikipedia-movie-data, MIT licence, text from
    Wikipedia under CC BY-SA 4.0) with their cast, credits parsed from the
    article's lead, genres and ``"<year> in film"`` as links, and, for the
    2,555 films matched to the ``data/movies.json`` table of vega-datasets
    3.2.1 (BSD-3-Clause), its distributor, director, Rotten Tomatoes score
    and IMDB rating. ``DESCR`` tells how every field was derived. The file
    ships with the package; nothing is downloaded.

    ==================================  =======
    films                                36,116
    distinct links                       41,315
    (film, link) pairs                  285,907
    films with a Rotten Tomatoes score    2,147
    films with an IMDB rating             2,479
    ==================================  =======

    Parameters
    ----------
    as_frame : bool, default=False
        If True, ``links``, ``rotten_tomatoes`` and ``imdb_rating`` are
        returned as :class:`pandas.Series` sharing one index of titles (index
        name ``"title"``), each named after its field, and a
        :class:`pandas.DataFrame` of them is added as ``frame``; ``titles``
        and ``properties`` stay lists. So
        ``movies.rotten_tomatoes.dropna()`` maps the rated films' titles to
        their scores. Needs pandas.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        Dictionary-like object with the following attributes, one entry per
        film, ordered by descending number of links, then by title.

        titles : list of str
            The Wikipedia article titles, unique.
        links : list of list of str or pandas.Series
            The links of each film, exactly the notebook's ``movie[2]``. With
            ``as_frame=True``, a Series of these lists indexed by title
            (index name ``"title"``, Series name ``"links"``).
        rotten_tomatoes : ndarray of shape (n_films,), dtype float64, or pandas.Series
            Rotten Tomatoes score as a fraction in [0, 1] (the notebook's
            ``float(movie[-2][:-1]) / 100``), NaN where missing. With
            ``as_frame=True``, a float64 Series named ``"rotten_tomatoes"``
            with the same index as ``links``.
        imdb_rating : ndarray of shape (n_films,), dtype float64, or pandas.Series
            IMDB rating out of 10, NaN where missing. With ``as_frame=True``,
            a float64 Series named ``"imdb_rating"`` with the same index as
            ``links``.
        properties : list of dict
            Per-film properties: ``year``, ``genres``, ``cast``,
            ``directed_by``, ``written_by``, ``produced_by``, and for films
            matched to the vega table ``distributor``, ``mpaa_rating``,
            ``major_genre``, ``source``, ``creative_type``,
            ``production_budget``, ``us_gross`` and ``vega_director``.
        frame : pandas.DataFrame of shape (n_films, 5)
            Only with ``as_frame=True``: indexed by title, with columns
            ``links``, ``rotten_tomatoes``, ``imdb_rating``, ``year`` and
            ``genres``.
        DESCR : str
            The data's README: sources, licences, how the file was built and
            each field derived, and statistics.
        filename : str
            Where the bundled file lies.

    See Also
    --------
    read_movies_ndjson : Read a file in the same layout, such as the notebook's
        original ``wp_movies_10k.ndjson``.
    make_seed_shaped_graph : A synthetic graph the size of the notebook's.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_linkembed.datasets import load_wikipedia_movies
    >>> movies = load_wikipedia_movies(as_frame=True)
    >>> len(movies.titles)
    36116
    >>> movies.links["Alien (film)"][:2]
    ['Sigourney Weaver', 'Tom Skerritt']
    >>> int(np.isfinite(movies.rotten_tomatoes).sum())
    2147

    The scores are Series indexed by title, like ``links``, so ``dropna``
    keeps the rated films with their titles:

    >>> scores = movies.rotten_tomatoes.dropna()
    >>> len(scores), scores.name, scores.index.name
    (2147, 'rotten_tomatoes', 'title')
    >>> float(scores["Alien (film)"]), float(movies.imdb_rating["Alien (film)"])
    (0.97, 8.5)
    >>> scores.head(3)
    title
    Hairspray (2007 film)                       0.91
    Charlie and the Chocolate Factory (film)    0.82
    Walk Hard: The Dewey Cox Story              0.74
    Name: rotten_tomatoes, dtype: float64
    >>> rated_links = movies.links[scores.index]   # the same titles, aligned
    >>> rated_links.index.equals(scores.index)
    True
    >>> frame = movies.frame
    >>> frame.columns.tolist()
    ['links', 'rotten_tomatoes', 'imdb_rating', 'year', 'genres']
    >>> frame.loc["Alien (film)", "year"]
    np.int64(1979)
    """
    package = resources.files(__package__)
    data = package / "data" / _DATA_FILE
    with data.open("rb") as raw, gzip.open(raw, "rb") as f:
        bunch = _parse_lines(f, str(data))
    bunch.DESCR = (package / "data" / _DATA_README).read_text(encoding="utf-8")
    bunch.filename = str(data)
    if as_frame:
        _add_frame(bunch)
    return bunch


def _parse_lines(lines, filename):
    """Parse an iterable of byte lines in the notebook's layout into a Bunch."""
    titles, links, properties, rotten, imdb = [], [], [], [], []
    for lineno, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            movie = json.loads(line)
        except ValueError as exc:  # JSONDecodeError and UnicodeDecodeError
            raise _line_error(filename, lineno, f"not valid JSON ({exc})") from exc
        if not isinstance(movie, list) or len(movie) < _MIN_FIELDS:
            raise _line_error(
                filename,
                lineno,
                f"expected a JSON array of at least {_MIN_FIELDS} fields {_LAYOUT}, "
                f"got {_describe(movie)}",
            )
        title, props, movie_links = movie[0], movie[1], movie[2]
        if not isinstance(title, str):
            raise _line_error(filename, lineno, f"the title must be a string, got {title!r}")
        if props is None:
            props = {}
        elif not isinstance(props, dict):
            raise _line_error(
                filename, lineno, f"properties must be a JSON object, got {_describe(props)}"
            )
        if not isinstance(movie_links, list) or not all(
            isinstance(link, str) for link in movie_links
        ):
            raise _line_error(
                filename, lineno, f"links must be an array of strings, got {movie_links!r:.80}"
            )
        titles.append(title)
        links.append(movie_links)
        properties.append(props)
        rotten.append(_parse_rotten(movie[-2], filename, lineno))
        imdb.append(_parse_imdb(movie[-1], filename, lineno))
    return Bunch(
        titles=titles,
        links=links,
        rotten_tomatoes=np.asarray(rotten, dtype=np.float64),
        imdb_rating=np.asarray(imdb, dtype=np.float64),
        properties=properties,
    )


def _parse_rotten(value, filename, lineno):
    # The notebook keeps a film when ``movie[-2]`` is truthy, so "" is missing too.
    if not value:
        return math.nan
    if isinstance(value, str) and value.endswith("%"):
        try:
            score = float(value[:-1]) / 100
        except ValueError:
            pass
        else:
            if 0 <= score <= 1:
                return score
    raise _line_error(
        filename,
        lineno,
        f"the Rotten Tomatoes field movie[-2] must be null or a percentage "
        f"between '0%' and '100%', got {value!r}",
    )


def _parse_imdb(value, filename, lineno):
    # Other layouts may end with a different field; only "x/10" is a rating.
    if not isinstance(value, str) or not value.endswith("/10"):
        return math.nan
    try:
        return float(value[:-3])
    except ValueError:
        raise _line_error(
            filename,
            lineno,
            f"the IMDB field movie[-1] must be null or like '7.2/10', got {value!r}",
        ) from None


def _describe(value):
    if isinstance(value, list):
        return f"an array of {len(value)} field(s)"
    return f"a JSON {type(value).__name__}"


def _line_error(filename, lineno, message):
    return ValueError(f"{filename}, line {lineno}: {message}")


def _add_frame(bunch):
    """Turn the per-film fields into Series indexed by title and add ``bunch.frame``.

    ``links``, ``rotten_tomatoes`` and ``imdb_rating`` become Series named after
    the field, all on one index of titles; ``titles`` and ``properties`` stay lists.
    """
    try:
        import pandas as pd
    except ImportError as exc:
        raise ImportError(
            "load_wikipedia_movies(as_frame=True) requires pandas; "
            "install it or use as_frame=False."
        ) from exc
    index = pd.Index(bunch.titles, name="title")
    links = pd.Series(bunch.links, index=index, name="links", dtype=object)
    rotten = pd.Series(bunch.rotten_tomatoes, index=index, name="rotten_tomatoes")
    imdb = pd.Series(bunch.imdb_rating, index=index, name="imdb_rating")
    bunch.frame = pd.DataFrame(
        {
            "links": links,
            "rotten_tomatoes": rotten,
            "imdb_rating": imdb,
            "year": np.array([p["year"] for p in bunch.properties], dtype=np.int64),
            "genres": pd.Series([p["genres"] for p in bunch.properties], index=index, dtype=object),
        },
        index=index,
    )
    bunch.links = links
    bunch.rotten_tomatoes = rotten
    bunch.imdb_rating = imdb
