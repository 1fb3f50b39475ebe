"""``python run.py template list | plan | apply | export``: industry template bundles
(docs/templates.md)."""

from __future__ import annotations

import json
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup, with_appcontext

from app.domain.errors import DomainError
from app.services.actor import Actor, acting_as

template_group = AppGroup("template", help="Industry templates: list, plan, apply and export bundles.")
CLI_ACTOR = Actor(None, "cli")


def _bundle(name: str):
    from app.adapters.template_bundle import locate
    from app.adapters.template_plan import load

    try:
        return load(locate(name))
    except DomainError as error:
        raise click.ClickException(error.message) from error


def echo_plan(plan, as_json: bool = False) -> None:
    if as_json:
        click.echo(json.dumps(plan.as_dict(), ensure_ascii=False, indent=2))
        return
    click.echo(f"template {plan.template} {plan.version}")
    for problem in plan.problems:
        click.echo(f"  PROBLEM  {problem}")
    for change in plan.changes:
        if change.action != "unchanged":
            detail = f"  ({change.detail})" if change.detail else ""
            click.echo(f"  {change.action:<9} {change.object}{detail}")
    summary = plan.summary()
    click.echo(
        f"{summary['create']} to create, {summary['update']} to update, {summary['unchanged']} unchanged, "
        f"{summary['conflict']} conflict(s), {len(plan.problems)} problem(s)"
    )


@template_group.command("list")
@with_appcontext
def list_command() -> None:
    """The templates shipped in seed_templates/."""
    import yaml

    from app.adapters.template_bundle import shipped
    from app.domain.templates import check_manifest

    for folder in shipped():
        doc = yaml.safe_load((folder / "manifest.yaml").read_text(encoding="utf-8"))
        manifest, problems = check_manifest(doc, "manifest.yaml")
        if manifest is None:
            click.echo(f"{folder.name:<20} (bad manifest: {problems[0]})")
            continue
        click.echo(f"{manifest.key:<20} {manifest.version:<8} {manifest.name_zh} / {manifest.name_en}")


@template_group.command("plan")
@click.argument("name")
@click.option("--json", "as_json", is_flag=True, help="Print the plan as JSON.")
@with_appcontext
def plan_command(name: str, as_json: bool) -> None:
    """What applying NAME (a shipped template's key or a bundle folder) would change."""
    from app.adapters.template_plan import plan
    from app.extensions import db

    result = plan(db.session, _bundle(name))
    db.session.rollback()
    echo_plan(result, as_json)
    if result.problems:
        raise SystemExit(1)


@template_group.command("apply")
@click.argument("name")
@click.option("--demo", is_flag=True, help="Also load the template's demo data and history.")
@click.option(
    "--conflicts",
    type=click.Choice(["keep", "overwrite"]),
    default=None,
    help="What to do with objects changed locally since the last apply (required when there are any).",
)
@click.option(
    "--demo-history",
    type=click.Choice(["none", "small", "full"]),
    default=None,
    help="With --demo: how much generated history (default DMS_DEMO_HISTORY, else full).",
)
@click.option("--demo-seed", type=int, default=None, help="Seed of the demo history (default: the file's).")
@with_appcontext
def apply_command(name: str, demo: bool, conflicts: str | None, demo_history: str | None, demo_seed) -> None:
    """Apply NAME in one transaction (refused, with nothing changed, on problems or unchosen conflicts)."""
    bundle = _bundle(name)
    apply_bundle(bundle, conflicts)
    if demo:
        load_demo_of(bundle.root, demo_history or current_app.config["DMS_DEMO_HISTORY"], demo_seed)


def apply_bundle(bundle, conflicts: str | None) -> None:
    from app.adapters.template_plan import TemplateRefused, apply
    from app.extensions import db

    with acting_as(CLI_ACTOR):
        try:
            result = apply(db.session, bundle, "cli", conflicts)
        except TemplateRefused as refused:
            echo_plan(refused.plan)
            raise click.ClickException(f"nothing applied: {refused.message}") from refused
        except DomainError as error:
            raise click.ClickException(f"nothing applied: {error.message}") from error
    echo_plan(result)
    click.echo("applied")


def load_demo_of(template: Path, history: str, seed: int | None = None) -> None:
    """The template's demo data (demo.yaml), then its generated history unless ``history`` is none."""
    from zoneinfo import ZoneInfo

    from app.adapters.demo_data import load_demo
    from app.adapters.demo_history import history_loaded, history_master, load_history
    from app.adapters.demo_history_open import open_work
    from app.adapters.unit_of_work import SqlUnitOfWork
    from app.extensions import db
    from app.web.demo_onboarding import start_demo_application

    uow = SqlUnitOfWork(db.session, current_app.extensions["dms_roles"])
    with acting_as(CLI_ACTOR):
        has_history = (template / "demo_history.yaml").is_file()
        fresh = history != "none" and has_history and not history_loaded(db.session)
        extra = history_master(template, history, seed) if fresh else {}
        try:
            report = load_demo(uow, template / "demo.yaml", current_app.config["DMS_DEMO_PASSWORD"], extra)
        except DomainError as error:
            raise click.ClickException(f"demo data: {error.message}") from error
        click.echo(f"demo data: {report}")
        if history == "none" or not has_history:
            click.echo("demo history: none asked for, skipped")
            return
        if not fresh:
            click.echo("demo history: already loaded, skipped")
            return
        zone = ZoneInfo(current_app.config["DMS_TIMEZONE"])
        click.echo(
            f"demo history ({history}): {load_history(db.session, template, history, zone, seed=seed)}"
        )
        click.echo(f"demo open work: {open_work(db.session, template_dir=template)}")
        click.echo(f"demo dealer application: {start_demo_application()}")


@template_group.command("export")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option("--key", default="exported", show_default=True, help="The bundle's key (its folder name).")
@with_appcontext
def export_command(directory: Path, key: str) -> None:
    """Write the current configuration as a bundle into DIRECTORY (created; must be empty)."""
    from app.adapters.template_export import export
    from app.extensions import db

    try:
        counts = export(db.session, directory, key)
    except DomainError as error:
        raise click.ClickException(error.message) from error
    finally:
        db.session.rollback()
    click.echo(f"exported to {directory}: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
