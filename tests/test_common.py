"""scikit-learn's estimator checks on every estimator of the package."""

from sklearn.utils.estimator_checks import parametrize_with_checks

from sklearn_linkembed import LinkEmbedder


@parametrize_with_checks([LinkEmbedder(embedding_size=4, epochs=2)])
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)
