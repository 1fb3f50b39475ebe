"""Process monitoring API (``/api/v1/monitor/…``, docs/monitoring.md): instances per status, time
per step, throughput, stuck instances, overdue tasks, incidents; retry and skip for administrators.

Permission ``ProcessMonitor``: ``read`` (administrators, consultants) and ``manage`` (retry, skip —
administrators only). The figures cover every instance, so a caller whose data scope is limited
gets 403 even if a role grants the permission.
"""

from __future__ import annotations

import os
from datetime import timedelta
from typing import Any

from flask import current_app, request
from flask_appbuilder.api import expose, protect, safe

from app.domain.errors import DomainError, Forbidden, NotFound, ValidationFailed
from app.engine import monitor, monitor_actions
from app.engine.monitor_problems import DEFAULT_STUCK_HOURS, incidents, overdue_tasks, stuck, version_meta
from app.extensions import db
from app.web.api.base import JsonApi, pk_in_range
from app.web.permissions import MANAGE, READ
from app.web.scope import current_scope

MAX_DAYS = 366


def default_sla() -> timedelta:
    """``DMS_STUCK_AFTER_HOURS`` (app config, else the environment), 72 hours by default."""
    value = current_app.config.get("DMS_STUCK_AFTER_HOURS") or os.environ.get("DMS_STUCK_AFTER_HOURS")
    try:
        hours = float(value) if value else DEFAULT_STUCK_HOURS
    except ValueError:
        hours = DEFAULT_STUCK_HOURS
    return timedelta(hours=hours if hours > 0 else DEFAULT_STUCK_HOURS)


def check_scope() -> None:
    """Monitoring sees every instance: only callers with an unrestricted data scope."""
    if not current_scope().unrestricted:
        raise Forbidden("process monitoring needs a role that sees all data")


def _positive(args: dict[str, str], name: str, errors: dict[str, str], top: int) -> int | None:
    raw = args.get(name)
    if raw is None or raw == "":
        return None
    if not raw.isdigit() or not 1 <= int(raw) <= top:
        errors[name] = f"a whole number from 1 to {top}"
        return None
    return int(raw)


def parse_query(args: dict[str, str], allowed: tuple[str, ...], key: str | None = None) -> dict[str, Any]:
    """Check the query parameters: ``process`` (a definition key), ``version`` (with a process),
    ``days`` (1–366); unknown parameters and bad values raise ``ValidationFailed`` naming them;
    a process or version that does not exist is ``NotFound`` when it is the path's ``key``."""
    errors = {name: "unknown parameter" for name in sorted(set(args) - set(allowed))}
    process = key if key is not None else (args.get("process") or None)
    if process is not None and (
        len(process) > 100 or not process.replace("-", "_").replace(".", "_").isidentifier()
    ):
        if key is not None:
            raise NotFound("no such process")
        errors["process"] = "a process key"
        process = None
    version = _positive(args, "version", errors, 10**6)
    days = _positive(args, "days", errors, MAX_DAYS) or 30
    if version is not None and process is None and "process" not in errors:
        errors["version"] = "give process as well"
    if errors:
        raise ValidationFailed(f"invalid query parameter(s): {', '.join(sorted(errors))}", errors)
    refs = monitor.versions(db.session, process, version)
    if process is not None and not refs:
        if key is not None:
            raise NotFound("no such process or version")
        field = "version" if version is not None and monitor.versions(db.session, process) else "process"
        raise ValidationFailed(f"unknown {field}", {field: f"unknown {field}"})
    return {"process": process, "version": version, "days": days, "refs": refs}


def process_detail(key: str, args: dict[str, str]) -> dict[str, Any]:
    """The report of one definition (all versions, or ``?version=``) as the API returns it."""
    query = parse_query(args, ("version", "days"), key)
    refs = query["refs"]
    names: dict[str, str] = {}
    for ref in refs:
        names.update(version_meta(db.session, ref)[0])
    sla = version_meta(db.session, refs[-1])[1] or default_sla()
    report = monitor.process_report(db.session, refs, names, query["days"])
    return {
        "key": key,
        "name": refs[-1].name,
        "version": query["version"],
        "days": query["days"],
        "sla_hours": round(sla.total_seconds() / 3600, 2),
        **report,
    }


def problems(args: dict[str, str]) -> dict[str, Any]:
    """Stuck instances, overdue tasks and incidents (filtered by ``process``/``version``)."""
    query = parse_query(args, ("process", "version"))
    sla = default_sla()
    return {
        "default_sla_hours": round(sla.total_seconds() / 3600, 2),
        "stuck": stuck(db.session, query["refs"], sla),
        "overdue_tasks": overdue_tasks(db.session, query["refs"]),
        "incidents": incidents(db.session, query["refs"]),
    }


def instance_summary(instance) -> dict[str, Any]:
    return {"id": instance.id, "status": instance.status, "error": instance.error}


class ProcessMonitorApi(JsonApi):
    resource_name = "monitor"
    class_permission_name = "ProcessMonitor"
    method_permission_name = {
        "processes": READ,
        "process": READ,
        "stuck_list": READ,
        "incident_list": READ,
        "retry": MANAGE,
        "skip": MANAGE,
    }

    def _read(self, build):
        try:
            check_scope()
            return self.response(200, **build())
        except DomainError as error:
            return self.fail(error)

    @expose("/processes", methods=["GET"])
    @protect()
    @safe
    def processes(self):
        """Every process definition with instances per status, per version.
        ---
        get:
          responses:
            200: {description: "result: [{key, name, counts, versions: [{version, counts}]}]"}
            422: {description: Unknown query parameter}
        """

        def build():
            parse_query(request.args.to_dict(), ())
            result = monitor.overview(db.session)
            return {"result": result, "count": len(result)}

        return self._read(build)

    @expose("/processes/<string:key>", methods=["GET"])
    @protect()
    @safe
    def process(self, key: str):
        """One process: counts, average and p90 time per step, throughput per day.
        ---
        get:
          parameters:
          - {in: path, name: key, required: true, schema: {type: string}}
          - {in: query, name: version, schema: {type: integer, minimum: 1}}
          - {in: query, name: days, schema: {type: integer, minimum: 1, maximum: 366}}
          responses:
            200: {description: "counts, versions, steps, throughput, sla_hours"}
            404: {description: No such process or version}
            422: {description: Bad query parameter (named in errors)}
        """
        return self._read(lambda: process_detail(key, request.args.to_dict()))

    @expose("/stuck", methods=["GET"])
    @protect()
    @safe
    def stuck_list(self):
        """Running instances without progress beyond their SLA, and human tasks past due.
        ---
        get:
          parameters:
          - {in: query, name: process, schema: {type: string}}
          - {in: query, name: version, schema: {type: integer, minimum: 1}}
          responses:
            200: {description: "stuck, overdue_tasks, default_sla_hours"}
            422: {description: Bad query parameter (named in errors)}
        """

        def build():
            found = problems(request.args.to_dict())
            return {k: found[k] for k in ("default_sla_hours", "stuck", "overdue_tasks")}

        return self._read(build)

    @expose("/incidents", methods=["GET"])
    @protect()
    @safe
    def incident_list(self):
        """Instances in error: failing element, message, time.
        ---
        get:
          parameters:
          - {in: query, name: process, schema: {type: string}}
          - {in: query, name: version, schema: {type: integer, minimum: 1}}
          responses:
            200: {description: "result: [{instance_id, process_key, version, element_id, message, at}]"}
            422: {description: Bad query parameter (named in errors)}
        """

        def build():
            found = problems(request.args.to_dict())["incidents"]
            return {"result": found, "count": len(found)}

        return self._read(build)

    def _act(self, instance_id: int, action):
        try:
            check_scope()
            if not pk_in_range(instance_id):
                raise NotFound("no such process instance")
            instance = action(instance_id)
        except DomainError as error:
            return self.fail(error)
        return self.response(200, **instance_summary(instance))

    @expose("/instances/<int:instance_id>/retry", methods=["POST"])
    @protect()
    @safe
    def retry(self, instance_id: int):
        """Run the failed step of an instance in error again (administrators).
        ---
        post:
          parameters:
          - {in: path, name: instance_id, required: true, schema: {type: integer}}
          responses:
            200: {description: "The instance: id, status, error"}
            404: {description: No such instance}
            409: {description: The instance is not in error}
        """
        return self._act(instance_id, lambda i: monitor_actions.retry(db.session, i))

    @expose("/instances/<int:instance_id>/skip", methods=["POST"])
    @protect()
    @safe
    def skip(self, instance_id: int):
        """Skip a failed or waiting step so the flow moves on (administrators).
        ---
        post:
          parameters:
          - {in: path, name: instance_id, required: true, schema: {type: integer}}
          requestBody:
            content:
              application/json:
                schema:
                  type: object
                  properties:
                    element_id: {type: string}
                    data: {type: object}
                    reason: {type: string}
                  required: [element_id]
          responses:
            200: {description: "The instance: id, status, error"}
            404: {description: No such instance}
            409: {description: The step cannot be skipped (the message says why)}
            422: {description: Invalid body (fields named)}
        """
        return self._act(instance_id, lambda i: monitor_actions.skip(db.session, i, self.body()))
