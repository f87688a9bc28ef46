"""course_utils never defines a graded name from the spec: the student's answers live in notebooks."""

import ast

from conftest import ROOT

# Every name COURSE_SPEC.md asks students to define, notebook by notebook.
GRADED_NAMES = {
    # 01
    "encode_addition", "rnn_forward", "add_with_rnn", "U", "W", "b_h", "v", "b_y", "h0",
    # 02
    "tokenize", "build_vocab", "encode_and_pad", "GRUSentiment", "MLPSentiment", "accuracy",
    # 03
    "sample_mixture", "Generator", "Discriminator", "d_loss", "g_loss", "train_step", "noisy_d_loss",
    # 04
    "MLPGenerator", "MLPDiscriminator", "bce_d_loss", "bce_g_loss", "mse_g_loss", "wgan_d_loss",
    "wgan_g_loss", "clip_weights_", "lsgan_d_loss", "lsgan_g_loss",
    # 05
    "classifier_from_discriminator", "label_histogram", "unrolled_g_step", "unrolled_surrogate_g_step",
    "augment_with_noise",
    # 06
    "one_hot", "ConditionalGenerator", "ConditionalDiscriminator",
    # 07
    "EncoderCNN", "DecoderCNN", "VAE", "vae_loss",
    # 08
    "power_iteration", "gradient_penalty",
}


def _top_level_names(body: list[ast.stmt]) -> set[str]:
    """Names a module (or class body) defines at its own level: what a notebook could import or call."""
    names = set()
    for node in body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            names.add(node.name)
        elif isinstance(node, ast.ClassDef):
            # a class and its methods count; its data fields (e.g. a history's `d_loss` list) hold values
            names.add(node.name)
            names |= {n.name for n in node.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))}
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names |= {n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)}
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names |= {a.asname or a.name.split(".")[-1] for a in node.names}
    return names


def test_course_utils_defines_no_graded_name():
    offenders = {}
    for file in sorted((ROOT / "course_utils").rglob("*.py")):
        clash = _top_level_names(ast.parse(file.read_text()).body) & GRADED_NAMES
        if clash:
            offenders[str(file.relative_to(ROOT))] = sorted(clash)
    assert not offenders, f"course_utils defines graded names (answers belong in the notebooks): {offenders}"


def test_the_check_itself_catches_a_graded_name():
    tree = ast.parse("import torch\nclass VAE:\n    d_loss: list = []\n    def vae_loss(self): pass\n"
                     "def helper():\n    v = 1\nU = 3\n")
    assert _top_level_names(tree.body) & GRADED_NAMES == {"VAE", "vae_loss", "U"}
