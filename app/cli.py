"""Commands: ``python run.py <command>`` and ``flask dms <command>`` are the same commands.

init · sync-roles · user add · serve · scheduler · demo load
"""

from __future__ import annotations

import os
import subprocess
import sys

import click
from flask import current_app
from flask.cli import AppGroup, with_appcontext

from app.adapters.clock import business_today
from app.config import ROOT
from app.domain.errors import DomainError
from app.services.actor import Actor, acting_as

dms_group = AppGroup("dms", help="Dealer management platform commands.")
CLI_ACTOR = Actor(None, "cli")


def _uow():
    from app.adapters.unit_of_work import SqlUnitOfWork
    from app.extensions import db

    return SqlUnitOfWork(db.session, current_app.extensions["dms_roles"])


def _fail(error: DomainError) -> None:
    details = "; ".join(f"{k}: {v}" for k, v in error.errors.items())
    raise click.ClickException(error.message + (f" ({details})" if details else ""))


def _ensure_admin(demo: bool) -> None:
    from app.services.users import NewUser, create_user

    cfg = current_app.config
    username = cfg["DMS_ADMIN_USER"]
    if current_app.appbuilder.sm.find_user(username=username):
        click.echo(f"admin user {username!r} exists; password unchanged")
        return
    password = cfg["DMS_ADMIN_PASSWORD"] or (cfg["DMS_DEMO_PASSWORD"] if demo else None)
    created = create_user(_uow(), NewUser(username=username, roles=("Admin",), password=password))
    if created.password:
        click.echo(f"created admin user {username!r} with password: {created.password}")
        click.echo("  (shown once: store it now, or set DMS_ADMIN_PASSWORD before the first init)")
    else:
        click.echo(f"created admin user {username!r}")


@dms_group.command("init")
@click.option("--demo", is_flag=True, help="Also load demo regions, dealers and one user per role.")
@click.option(
    "--demo-history",
    type=click.Choice(["none", "small", "full"]),
    default=None,
    help="With --demo: how much generated history to load (default DMS_DEMO_HISTORY, else full).",
)
@click.option("--demo-seed", type=int, default=None, help="Seed of the demo history (default: the file's).")
@with_appcontext
def init_command(demo: bool, demo_history: str | None, demo_seed: int | None) -> None:
    """Migrate the database to head, sync roles, create the admin user."""
    from flask_migrate import upgrade

    from app.web.roles_sync import sync_roles

    demo = demo or current_app.config["DMS_DEMO"]
    with acting_as(CLI_ACTOR):
        upgrade(directory=str(ROOT / "migrations"))
        summary = sync_roles(current_app.appbuilder, current_app.extensions["dms_roles"])
        click.echo("roles: " + ", ".join(f"{k} ({v})" for k, v in summary.items()))
        _deploy_workflows()
        _load_kpi_sets()
        try:
            _ensure_admin(demo)
            if demo:
                _load_demo(demo_history or current_app.config["DMS_DEMO_HISTORY"], demo_seed)
        except DomainError as error:
            _fail(error)


def _load_kpi_sets() -> None:
    """Store the shipped scorecard KPI sets (rules/kpi/*.yaml) whose key is not stored yet."""
    from app.adapters.kpi_store import ensure_shipped
    from app.extensions import db

    added = ensure_shipped(db.session)
    db.session.commit()
    if added:
        click.echo(f"KPI sets: {added} loaded")


def _deploy_workflows() -> None:
    from app.engine.definitions import DeployRefused
    from app.engine.loader import deploy_directory
    from app.extensions import db
    from app.formkit.schemas import form_exists

    try:
        results = deploy_directory(
            db.session,
            ROOT / "workflows",
            ROOT / "rules",
            actor="cli",
            form_exists=form_exists,
            known_roles=set(current_app.extensions["dms_roles"]),
        )
    except DeployRefused as refused:
        db.session.rollback()
        lines = [
            f"  {p['file']} {p.get('element') or ''} line {p.get('line') or '?'}: {p['message']}"
            for p in refused.problems
        ]
        raise click.ClickException("workflow files refused:\n" + "\n".join(lines)) from refused
    db.session.commit()
    for result in results:
        click.echo(f"workflow {result.key}: version {result.version}" + (" (new)" if result.created else ""))


def _load_demo(history: str, seed: int | None = None) -> None:
    """Apply the default template (fmcg) keeping any local changes, then its demo data and
    generated history (docs/demo_data.md) unless ``history`` is none."""
    from app.cli_templates import _bundle, apply_bundle, load_demo_of

    bundle = _bundle("fmcg")
    apply_bundle(bundle, "keep")
    load_demo_of(bundle.root, history, seed)


@dms_group.command("sync-roles")
@with_appcontext
def sync_roles_command() -> None:
    """Create missing permissions and give each role exactly what roles.yaml grants."""
    from app.web.roles_sync import sync_roles

    with acting_as(CLI_ACTOR):
        summary = sync_roles(current_app.appbuilder, current_app.extensions["dms_roles"])
    click.echo("roles: " + ", ".join(f"{k} ({v})" for k, v in summary.items()))


@dms_group.group("user")
def user_group() -> None:
    """Manage users from the shell."""


@user_group.command("add")
@click.argument("username")
@click.option("--role", "roles", multiple=True, required=True, help="Role name (repeatable).")
@click.option("--region", "regions", multiple=True, help="Region code (regional roles; repeatable).")
@click.option(
    "--dealer",
    "dealers",
    multiple=True,
    help="Dealer code: the company of a dealer user, or a sales rep's dealer (repeatable).",
)
@click.option("--password", default=None, help="Initial password; generated and printed when omitted.")
@click.option("--email", default="", help="E-mail address.")
@with_appcontext
def user_add_command(username, roles, regions, dealers, password, email) -> None:
    """Create USERNAME with its role(s) and data scope."""
    from app.services.users import NewUser, create_user

    req = NewUser(
        username=username,
        roles=tuple(roles),
        regions=tuple(regions),
        dealers=tuple(dealers),
        password=password,
        email=email,
    )
    with acting_as(CLI_ACTOR):
        try:
            created = create_user(_uow(), req)
        except DomainError as error:
            _fail(error)
    click.echo(f"created user {created.username!r} (id {created.id})")
    if created.password:
        click.echo(f"password: {created.password}")


@dms_group.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--workers", default=2, show_default=True, type=int, help="gunicorn worker processes.")
@click.option("--debug", is_flag=True, help="Flask's development server with reloader (never in production).")
def serve_command(host: str, port: int, workers: int, debug: bool) -> None:
    """Serve the web app with gunicorn; also start the scheduler unless DMS_SCHEDULER=off."""
    from app.config import load_config

    scheduler = None
    if load_config()["DMS_SCHEDULER"]:
        scheduler = subprocess.Popen([sys.executable, str(ROOT / "run.py"), "scheduler"])  # noqa: S603
    try:
        if debug:
            from app import create_app

            create_app().run(host=host, port=port, debug=True, use_reloader=False)
        else:
            from app.wsgi import run_gunicorn

            run_gunicorn(host, port, workers)
    finally:
        if scheduler is not None:
            scheduler.terminate()
            scheduler.wait(timeout=10)


@dms_group.command("scheduler")
@with_appcontext
def scheduler_command() -> None:
    """Run the job scheduler; a second one waits on standby and takes over if this one dies."""
    import gc
    import logging

    from app.jobs.scheduler import run_scheduler

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    gc.collect()
    gc.freeze()  # the loaded app out of the cyclic collector's sight, as in app/wsgi.py
    run_scheduler(current_app._get_current_object(), holder=f"{os.uname().nodename}:{os.getpid()}")


@dms_group.group("alerts")
def alerts_group() -> None:
    """Scheduled alerts, run once by hand."""


@alerts_group.command("run")
@with_appcontext
def alerts_run_command() -> None:
    """Notify about expiring and expired dealer qualifications now (as the scheduler does daily)."""
    from app.jobs.alerts import qualification_alerts

    result = qualification_alerts(current_app._get_current_object())
    click.echo(
        f"qualifications: {result.expiring} expiring, {result.expired} expired; "
        f"{result.notifications} notification(s) sent; suspended: {', '.join(result.suspended) or 'none'}"
    )


@dms_group.group("inventory")
def inventory_group() -> None:
    """Stock ledger maintenance."""


@inventory_group.command("check")
@with_appcontext
def inventory_check_command() -> None:
    """Recompute every balance and batch from the ledger and report any drift (exit 1 if some)."""
    from sqlalchemy import select

    from app.adapters.stock_ledger import drift
    from app.extensions import db
    from app.models import Product, Warehouse

    found = drift(db.session)
    if not found:
        click.echo("inventory check: balances and batches agree with the ledger")
        return
    warehouses = dict(db.session.execute(select(Warehouse.id, Warehouse.code)).all())
    products = dict(db.session.execute(select(Product.id, Product.code)).all())
    for row in found:
        where = f"{warehouses.get(row['warehouse_id'])} × {products.get(row['product_id'])}"
        where += f" batch {row['batch']}" if row["batch"] is not None else ""
        click.echo(f"DRIFT {where}: {row['level']} ledger {row['ledger']} ≠ balance {row['balance']}")
    raise SystemExit(1)


@inventory_group.command("replenish")
@with_appcontext
def inventory_replenish_command() -> None:
    """Evaluate the due stock rules now and write replenishment suggestions (as the job does)."""
    from app.jobs.replenishment import replenishment

    result = replenishment(current_app)
    click.echo(f"replenishment: {result.reviewed} rule(s) reviewed, {result.suggested} suggestion(s) written")


@inventory_group.command("rules-from-demand")
@click.option("--days", default=90, show_default=True, type=click.IntRange(1, 3650), help="Demand window.")
@with_appcontext
def inventory_rules_from_demand_command(days: int) -> None:
    """Set each stock rule's min to safety stock + lead-time demand of the last DAYS days' outbound."""

    from app.adapters.replenishment import rules_from_demand
    from app.domain.scope import UNRESTRICTED
    from app.extensions import db

    with acting_as(CLI_ACTOR):
        try:
            changed = rules_from_demand(db.session, UNRESTRICTED, business_today(), days)
            db.session.commit()
        except DomainError as error:
            db.session.rollback()
            _fail(error)
    click.echo(f"stock rules: {changed} updated from the last {days} days' outbound")


@dms_group.group("analytics")
def analytics_group() -> None:
    """The sales analytics store (docs/analytics.md)."""


@analytics_group.command("update")
@with_appcontext
def analytics_update_command() -> None:
    """Book the orders whose timeline moved since the last run (as the job does every minute)."""
    from app.jobs.analytics import analytics_update

    result = analytics_update(current_app)
    click.echo(
        f"analytics: {result.events} new event(s), {result.orders} order(s) booked, "
        f"watermark {result.watermark}"
    )


@analytics_group.command("rebuild")
@with_appcontext
def analytics_rebuild_command() -> None:
    """Empty the store and book every sold order line again (same figures as the updates)."""
    from time import perf_counter

    from app.jobs.analytics import analytics_rebuild

    began = perf_counter()
    written = analytics_rebuild(current_app)
    click.echo(f"analytics: rebuilt, {written} order line(s) booked in {perf_counter() - began:.1f} s")


@dms_group.group("forecast")
def forecast_group() -> None:
    """Demand forecasts (docs/forecast.md)."""


@forecast_group.command("run")
@click.option("--workers", default=None, type=click.IntRange(1, 64), help="Processes (default: cores).")
@with_appcontext
def forecast_run_command(workers: int | None) -> None:
    """Forecast every SKU × region now (as the monthly job does) and register the seasonal factors."""
    from time import perf_counter

    from app.jobs.forecast import forecast_run

    began = perf_counter()
    with click.progressbar(length=1, label="forecast") as bar:

        def progress(done: int, total: int) -> None:
            bar.length = max(total, 1)
            bar.update(done - bar.pos)

        run = forecast_run(current_app._get_current_object(), None, "cli", workers, progress)
    click.echo(
        f"forecast: run {run.id}, {run.series_count} series ({run.ok_count} forecast, "
        f"{run.series_count - run.ok_count} not enough history) in {perf_counter() - began:.1f} s"
    )


def _register_groups() -> None:
    from app.cli_templates import template_group

    dms_group.add_command(template_group)


_register_groups()
