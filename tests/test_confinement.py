"""Hostile templates stay inside the project: every file the loader reads besides the ones named on the command
line (snippets, nested stack and StackSet templates, a cloud assembly's templates, metadata and nested
assemblies) is resolved, symlinks included, and confined to the template roots; what lies outside is an input
error naming the reference, and is never read (its contents never reach a report)."""

from __future__ import annotations

import json
import os

import pytest

from conftest import COMPLIANT, run_ddbguard

MARKER = "secretmarker"  # what an outside file holds: it must never reach any output


@pytest.fixture
def layout(tmp_path):
    project, outside = tmp_path / "project", tmp_path / "outside"
    project.mkdir()
    outside.mkdir()
    # a valid template and snippet: if they were read, their table's name would be reported
    (outside / "child.yaml").write_text(f"Resources:\n  T:\n    Type: AWS::DynamoDB::Table\n"
                                        f"    Properties: {{TableName: {MARKER}}}\n")
    (outside / "snippet.yaml").write_text(f"Leak:\n  Type: AWS::DynamoDB::Table\n  Properties: {{TableName: {MARKER}}}\n")
    (outside / "text.yaml").write_text(f"{MARKER}-password\n")
    return project, outside


def _check(*args, cwd=None):
    result = run_ddbguard("check", *map(str, args), "--format", "json", cwd=cwd)
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr, result.stderr
    assert MARKER not in result.stdout and MARKER not in result.stderr
    return result


def _nested(url: str) -> str:
    return f"Resources:\n  Child:\n    Type: AWS::CloudFormation::Stack\n    Properties: {{TemplateURL: '{url}'}}\n"


def _include(location: str) -> str:
    return f"Resources:\n  Fn::Transform:\n    Name: AWS::Include\n    Parameters: {{Location: '{location}'}}\n"


@pytest.mark.parametrize("body, reference", [
    (_nested("../outside/child.yaml"), "TemplateURL ../outside/child.yaml"),
    (_nested("{outside}/child.yaml"), "TemplateURL {outside}/child.yaml"),
    (_nested("https://s3.amazonaws.com/bucket/../../outside/child.yaml"),
     "TemplateURL https://s3.amazonaws.com/bucket/../../outside/child.yaml"),
    (_include("../outside/snippet.yaml"), "AWS::Include Location ../outside/snippet.yaml"),
    (_include("{outside}/snippet.yaml"), "AWS::Include Location {outside}/snippet.yaml"),
    (_include("s3://bucket/../outside/snippet.yaml"), "AWS::Include Location s3://bucket/../outside/snippet.yaml"),
    (_include("file:///{outside}/snippet.yaml"), None),  # matched by its path's suffix under the roots only
    ("Transform: AWS::Serverless-2016-10-31\nResources:\n  App:\n    Type: AWS::Serverless::Application\n"
     "    Properties: {Location: ../outside/child.yaml}\n", "TemplateURL ../outside/child.yaml"),
])
def test_references_outside_the_template_roots_are_errors_and_never_read(layout, body, reference):
    project, outside = layout
    path = project / "main.yaml"
    path.write_text(body.replace("{outside}", str(outside)))
    result = _check(path)
    assert result.code == 2
    messages = [e["message"] for e in result.json()["errors"]]
    assert len(messages) == 1
    if reference is not None:
        assert messages[0].endswith(f"{reference.replace('{outside}', str(outside))} resolves outside the template roots "
                                    f"({project}), so it is not read (pass the folder that holds it with "
                                    "--template-root)")


def test_a_template_root_lets_a_reference_out(layout):
    project, outside = layout
    (outside / "child.yaml").write_text(COMPLIANT)
    path = project / "main.yaml"
    path.write_text(_nested("../outside/child.yaml"))
    result = run_ddbguard("check", str(path), "--template-root", str(outside), "--format", "json")
    assert result.json()["errors"] == [] and {f["stack"] for f in result.json()["findings"]} == {"main/Child"}


def test_a_symlink_in_a_scanned_directory_is_confined(layout):
    project, outside = layout
    (project / "good.yaml").write_text(COMPLIANT)
    os.symlink(outside / "child.yaml", project / "linked.yaml")
    result = _check(project)
    assert result.code == 2
    assert [e["file"] for e in result.json()["errors"]] == [str(project / "linked.yaml")]
    assert {f["stack"] for f in result.json()["findings"]} == {"good"}  # the rest is still checked


def test_a_snippet_must_be_a_mapping_or_a_list(layout):
    project, outside = layout
    (project / "text.yaml").write_text("just some text\n")
    path = project / "main.yaml"
    path.write_text(_include("text.yaml"))
    result = _check(path)
    assert [e["message"] for e in result.json()["errors"]] == [
        f"AWS::Include text.yaml: {project / 'text.yaml'} is not a YAML or JSON mapping or list"]


def _assembly(directory, artifacts: dict) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "manifest.json").write_text(json.dumps({"version": "41.0.0", "artifacts": artifacts}))


@pytest.mark.parametrize("template_file", ["../../outside/child.yaml", "{outside}/child.yaml", "linked.template.json"])
def test_a_cloud_assembly_reads_only_its_own_files(layout, template_file):
    project, outside = layout
    assembly = project / "cdk.out"
    _assembly(assembly, {"Stack": {"type": "aws:cloudformation:stack",
                                   "properties": {"templateFile": template_file.format(outside=outside)}}})
    os.symlink(outside / "child.yaml", assembly / "linked.template.json")
    result = _check(assembly)
    assert result.code == 2
    assert [e["message"] for e in result.json()["errors"]][0].startswith(
        f"stack Stack's templateFile {template_file.format(outside=outside)} resolves outside the template roots")


def test_a_cloud_assembly_that_nests_itself_is_an_input_error(tmp_path):
    assembly = tmp_path / "cdk.out"
    _assembly(assembly, {"Stage": {"type": "cdk:cloud-assembly", "properties": {"directoryName": "."}}})
    result = _check(assembly)
    assert result.code == 2
    assert [e["message"] for e in result.json()["errors"]] == [
        "nested cloud assembly Stage (directoryName .) contains this assembly itself"]
