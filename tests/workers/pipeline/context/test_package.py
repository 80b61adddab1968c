import importlib
import subprocess
import sys


def test_localize_subpackage_is_importable_by_its_dotted_name():
    # `import a.b.c as x` resolves through attributes: a function named like the subpackage,
    # re-exported by the parent package, used to hide it.
    completed = subprocess.run(
        [sys.executable, "-c", "import workers.pipeline.context.localize.rank as rank; "
         "print(rank.RankWeights.__name__)"],
        capture_output=True, text=True, check=False,
    )
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.strip() == "RankWeights"
    context = importlib.import_module("workers.pipeline.context")
    assert context.localize.__name__ == "workers.pipeline.context.localize"
