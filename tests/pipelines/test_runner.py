"""The runner with real papermill kernels: records, parallel steps, failures, retries, timeouts."""

from __future__ import annotations

import html
import json
import time
from pathlib import Path

import nbformat
import psutil
import pytest

from workbench.cli import main
from workbench.exceptions import ApprovalError, ParameterError, PipelineError
from workbench.pipelines import RunStore, run_pipeline

pytestmark = pytest.mark.slow


def _outputs(path) -> str:
    nb = nbformat.read(path, as_version=4)
    return "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []))


def test_independent_steps_overlap_and_everything_is_recorded(tiny):
    project = tiny(
        {"p": {"parameters": {"n": {"type": "int", "default": 1}},
               "steps": [{"name": "a", "notebook": "notebooks/a.ipynb", "parameters": {"label": "L${n}"}},
                         {"name": "b", "notebook": "notebooks/b.ipynb"},
                         {"name": "c", "notebook": "notebooks/c.ipynb", "depends_on": ["a", "b"]}]}},
        {"a.ipynb": ({"parameters": 'project_dir = "."\nn = 0\nlabel = ""'},
                     "import time; time.sleep(1.5); print('a', n, label)"),
         "b.ipynb": ("import time; time.sleep(1.5); x = list(range(10**6)); print('b')",),
         "c.ipynb": ("print('c')",)},
    )
    record = run_pipeline(project, parameters={"n": "5"}, progress=False)
    assert record.status == "succeeded" and record.parameters == {"n": 5}
    a, b, c = record.steps
    assert [s.status for s in record.steps] == ["succeeded"] * 3 and {s.attempts for s in record.steps} == {1}
    assert a.started < b.ended and b.started < a.ended, "independent steps should run at the same time"
    assert c.started >= max(a.ended, b.ended)
    assert _outputs(a.output_notebook).strip() == "a 5 L5"
    for step in record.steps:
        assert step.cpu_seconds > 0.1 and step.peak_memory_mb > 20 and step.seconds > 0
        assert step.output_html.endswith(".html") and "<html" in Path(step.output_html).read_text()
    assert record.cpu_seconds == pytest.approx(sum(s.cpu_seconds for s in record.steps), abs=0.01)
    assert RunStore(project).get_run(record.run_id).to_dict() == record.to_dict()


def test_failing_step_keeps_its_notebook_and_skips_what_depends_on_it(tiny):
    project = tiny(
        {"p": {"steps": [{"name": "bad", "notebook": "notebooks/bad.ipynb"},
                         {"name": "after", "notebook": "notebooks/ok.ipynb", "depends_on": ["bad"]}]}},
        {"bad.ipynb": ("print('before')", "raise ValueError('bad data')", "print('never')"),
         "ok.ipynb": ("print('ok')",)},
    )
    record = run_pipeline(project, progress=False)
    assert record.status == "failed" and "bad (failed)" in record.error
    bad, after = record.steps
    assert bad.status == "failed" and "ValueError: bad data" in bad.error and bad.attempts == 1
    assert after.status == "skipped" and "bad did not succeed" in after.error and after.attempts == 0
    kept = nbformat.read(bad.output_notebook, as_version=4)
    assert "before" in _outputs(bad.output_notebook) and "never" not in _outputs(bad.output_notebook)
    assert any("papermill-error-cell-tag" in c.metadata.get("tags", []) for c in kept.cells)
    assert "ValueError" in Path(bad.output_html).read_text()


def test_flaky_step_succeeds_on_retry(tiny):
    flaky = ("from pathlib import Path\n"
             "p = Path(project_dir) / 'count.txt'\n"
             "n = int(p.read_text()) if p.exists() else 0\n"
             "p.write_text(str(n + 1))\n"
             "if n == 0:\n    raise RuntimeError('flaky network')\n"
             "print('attempt', n + 1)")
    project = tiny({"p": {"steps": [{"name": "f", "notebook": "notebooks/f.ipynb", "retries": 2}]}},
                   {"f.ipynb": (flaky,)})
    record = run_pipeline(project, progress=False)
    step = record.step("f")
    assert record.status == "succeeded" and step.attempts == 2 and step.error is None
    assert _outputs(step.output_notebook).strip() == "attempt 2"
    first = step.output_notebook.replace(".ipynb", ".attempt-1.ipynb")
    assert "flaky network" in json.dumps(nbformat.read(first, as_version=4))


def test_timeout_stops_the_kernel(tiny):
    project = tiny(
        {"p": {"steps": [{"name": "slow", "notebook": "notebooks/slow.ipynb", "timeout": 4}]}},
        {"slow.ipynb": ("import os, time\n(open(os.path.join(project_dir, 'pid'), 'w')).write(str(os.getpid()))",
                        "time.sleep(120)")},
    )
    started = time.monotonic()
    record = run_pipeline(project, progress=False)
    assert time.monotonic() - started < 30
    step = record.step("slow")
    assert step.status == "failed" and step.error.startswith("Timed out after 4 s")
    kernel = int((project.root / "pid").read_text())
    deadline = time.monotonic() + 10
    while psutil.pid_exists(kernel) and psutil.Process(kernel).status() != psutil.STATUS_ZOMBIE:
        assert time.monotonic() < deadline, "the kernel is still running after the timeout"
        time.sleep(0.2)
    assert step.output_notebook and "KeyboardInterrupt" in json.dumps(nbformat.read(step.output_notebook, as_version=4))


def test_changed_or_unapproved_notebooks_are_refused(tiny):
    project = tiny({"p": {"steps": [{"notebook": "notebooks/a.ipynb"}, {"notebook": "notebooks/b.ipynb"}]}},
                   {"a.ipynb": ("print(1)",), "b.ipynb": ("print(2)",)})
    path = project.root / "notebooks" / "a.ipynb"
    nb = nbformat.read(path, as_version=4)
    nb.cells[-1].source = "print('edited')"
    nbformat.write(nb, path)
    (project.root / "approvals.json").write_text(
        (project.root / "approvals.json").read_text().replace('"notebooks/b.ipynb"', '"notebooks/gone.ipynb"'))
    with pytest.raises(ApprovalError) as info:
        run_pipeline(project, progress=False)
    message = str(info.value)
    assert "notebooks/a.ipynb (changed since approval)" in message
    assert "notebooks/b.ipynb (never approved)" in message
    assert "workbench approve notebooks/a.ipynb" in message
    assert info.value.notebooks == ["notebooks/a.ipynb", "notebooks/b.ipynb"]
    assert RunStore(project).list_runs() == []


def test_notebook_without_a_kernel_is_refused_before_execution(tiny):
    from workbench.pipelines.approval import approve_notebook

    project = tiny({"p": {"steps": [{"notebook": "notebooks/a.ipynb"}]}},
                   {"a.ipynb": ("open('ran', 'w').write('yes')",)})
    path = project.root / "notebooks" / "a.ipynb"
    nb = nbformat.read(path, as_version=4)
    del nb.metadata["kernelspec"]
    nbformat.write(nb, path)
    approve_notebook(project, "notebooks/a.ipynb", by="tester", comment="no kernel")
    with pytest.raises(PipelineError, match=r"name no kernel: notebooks/a\.ipynb") as info:
        run_pipeline(project, progress=False)
    assert "Change Kernel" in str(info.value)
    assert not (project.root / "notebooks" / "ran").exists() and RunStore(project).list_runs() == []


def test_wrong_typed_parameter_is_refused_before_execution(tiny, capsys):
    project = tiny({"p": {"parameters": {"rows": "int"}, "steps": [{"notebook": "notebooks/a.ipynb"}]}},
                   {"a.ipynb": ("open('ran', 'w').write('yes')",)})
    with pytest.raises(ParameterError, match="'rows' of pipeline 'p' = 'many' is not valid"):
        run_pipeline(project, parameters={"rows": "many"}, progress=False)
    assert RunStore(project).list_runs() == []
    assert not (project.root / "notebooks" / "ran").exists()
    assert main(["run", "-p", "rows=many", "-P", str(project.root)]) == 2
    assert capsys.readouterr().err.startswith("error: Parameter 'rows' of pipeline 'p' = 'many'")


def _escaped(secret: str) -> set[str]:
    """How a file could hold ``secret``: as is, inside a JSON string (a .ipynb), as a repr(),
    HTML-escaped (an HTML export), and each of those inside a JSON string."""
    once = {secret, json.dumps(secret)[1:-1], repr(secret)[1:-1], html.escape(secret),
            html.escape(secret, quote=False)}
    return once | {json.dumps(form)[1:-1] for form in once} | {html.escape(form) for form in once}


def test_a_secret_never_appears_in_any_output_file(tiny, monkeypatch):
    secret, quoted = "s3cr3t-Token-4242", "k\\ey'&\"-Quoted-77"
    monkeypatch.setenv("WAREHOUSE_TOKEN", secret)
    monkeypatch.setenv("QUOTED_KEY", quoted)
    shown = ("import html, json, os\nfrom IPython.display import HTML, display\n"
             "key = os.environ['QUOTED_KEY']\n"
             "print('key is', key, repr(key), json.dumps(key), json.dumps(repr(key)), html.escape(key))\n"
             "display(HTML('<b>' + html.escape(key) + '</b>'))\n"
             "{'key': key}")
    project = tiny(
        {"p": {"secrets": ["WAREHOUSE_TOKEN", "QUOTED_KEY"],
               "steps": [{"name": "show", "notebook": "notebooks/show.ipynb"},
                         {"name": "escaped", "notebook": "notebooks/escaped.ipynb"},
                         {"name": "fail", "notebook": "notebooks/fail.ipynb"}]}},
        {"show.ipynb": ("import os\ntoken = os.environ['WAREHOUSE_TOKEN']\nprint('token is', token)\ntoken",),
         "escaped.ipynb": (shown,),
         "fail.ipynb": ("import os\nraise PermissionError('refused ' + os.environ['WAREHOUSE_TOKEN'] + "
                        "repr(os.environ['QUOTED_KEY']))",)},
    )
    record = run_pipeline(project, progress=False)
    assert record.step("show").status == "succeeded" and record.step("fail").status == "failed"
    assert record.step("escaped").status == "succeeded"
    assert "[secret WAREHOUSE_TOKEN]" in _outputs(record.step("show").output_notebook)
    assert _outputs(record.step("escaped").output_notebook).count("[secret QUOTED_KEY]") == 5
    assert "refused [secret WAREHOUSE_TOKEN]'[secret QUOTED_KEY]'" in record.step("fail").error
    files = [p for p in project.root.rglob("*") if p.is_file()]
    assert len(files) > 8
    forms = [form.encode() for form in _escaped(secret) | _escaped(quoted)]
    leaks = [p for p in files if any(form in p.read_bytes() for form in forms)]
    assert leaks == []
    monkeypatch.delenv("WAREHOUSE_TOKEN")
    with pytest.raises(ParameterError, match="needs the secret WAREHOUSE_TOKEN, which is not set"):
        run_pipeline(project, progress=False)


def test_independent_steps_never_exceed_the_worker_limit(tiny):
    sleep = ("import time; time.sleep(1.0)",)
    project = tiny({"p": {"workers": 1, "steps": [{"name": "a", "notebook": "notebooks/a.ipynb"},
                                                   {"name": "b", "notebook": "notebooks/b.ipynb"}]}},
                   {"a.ipynb": sleep, "b.ipynb": sleep})
    record = run_pipeline(project, progress=False)
    a, b = record.steps
    assert record.status == "succeeded"
    assert a.ended <= b.started or b.ended <= a.started, "two steps ran at once with workers: 1"


def test_cli_run_shows_progress_on_stderr(tiny, capsys):
    project = tiny({"p": {"steps": [{"name": "only", "notebook": "notebooks/a.ipynb"}]}}, {"a.ipynb": ("print(1)",)})
    assert main(["run", "-P", str(project.root)]) == 0
    captured = capsys.readouterr()
    assert "p: 100%" in captured.err and "1/1" in captured.err and "step" in captured.err
    assert " p  succeeded " in captured.out and "100%" not in captured.out
    assert main(["run", "--no-progress", "-P", str(project.root)]) == 0
    assert "100%" not in capsys.readouterr().err


def test_cli_run_and_runs(tiny, capsys):
    project = tiny({"p": {"steps": [{"notebook": "notebooks/a.ipynb"}]}}, {"a.ipynb": ("print(1)",)})
    assert main(["run", "--no-progress", "-P", str(project.root)]) == 0
    assert " p  succeeded " in capsys.readouterr().out
    assert main(["runs", "--json", "-P", str(project.root)]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert len(listed) == 1 and listed[0]["status"] == "succeeded" and listed[0]["steps"][0]["cpu_seconds"] > 0
    assert main(["runs", "show", listed[0]["run_id"], "-P", str(project.root)]) == 0
    shown = capsys.readouterr().out
    assert listed[0]["run_id"] in shown and "attempts 1" in shown and "output:" in shown
    assert main(["runs", "show", "nope", "-P", str(project.root)]) == 2
    assert "No run 'nope'" in capsys.readouterr().err
