"""Scripts read the notebooks' own definitions from their cells, never copies."""

import pytest
import torch

from course_utils.notebook_code import definition_sources, load_definitions, sources_fingerprint


def test_given_definitions_load_from_the_release_and_run():
    d = load_definitions("08_sn_wgan_gp", ["Generator", "critic"])
    G, D = d["Generator"](8), d["critic"](spectral=True)
    assert D(G(torch.randn(2, 8))).shape == (2, 1)


def test_model_answers_need_the_solutions_and_use_their_cells_imports():
    tokenize = load_definitions("02_sentiment_gru_mlp", ["tokenize"], source="solutions")["tokenize"]
    assert tokenize("Great<br />movie, really!") == ["great", "movie", "really"]
    stub = load_definitions("02_sentiment_gru_mlp", ["tokenize"])["tokenize"]   # the release holds the student's stub
    with pytest.raises(NotImplementedError):
        stub("Great movie")


def test_constants_fill_globals_the_definitions_use():
    d = load_definitions("05_mode_collapse", ["make_generator"], constants={"Z_DIM": 3})
    assert d["make_generator"]()[0].in_features == 3


def test_unknown_names_are_a_clear_error_and_fingerprints_follow_the_text():
    with pytest.raises(KeyError, match="defines no \\['Nope'\\]"):
        definition_sources("08_sn_wgan_gp", ["Generator", "Nope"])
    text = definition_sources("08_sn_wgan_gp", ["critic"])["critic"]
    assert text.startswith("def critic(")
    assert sources_fingerprint(text) != sources_fingerprint(text + " ")


def test_constants_are_read_from_a_tuple_assignment_and_never_run():
    """``Z_DIM, NUM_CLASSES, BATCH_SIZE = 64, 10, 64`` declares three constants a reference run reads."""
    from course_utils.notebook_code import load_constants

    assert load_constants("06_conditional_gan", ["NUM_CLASSES", "Z_DIM", "RECIPE"]) == {
        "NUM_CLASSES": 10, "Z_DIM": 64, "RECIPE": {"optimizer": "adam", "lr": 1e-3, "betas": (0.5, 0.999)}}
    with pytest.raises(ValueError, match="STEPS is not a plain literal"):
        load_constants("06_conditional_gan", ["STEPS"])
