"""The export's ZIP: data.json, one CSV per data set, the person's media, summary.html.

Layout (docs/export-format.md):

    data.json                 every data set, machine-readable, with the schema's version
    csv/<data set>.csv        one per data set, cells safe to open in a spreadsheet
    media/<data set>/<id>-<field>.<ext>   files the person uploaded (their practices' photos)
    summary.html              the same, readable (in the person's language), no script
"""

from __future__ import annotations

import hashlib
import json
import zipfile

from django.conf import settings
from django.core.files.storage import default_storage
from django.template.loader import render_to_string
from django.utils import translation

from grove.core.csv import csv_lines

from .export_data import personal_data

# The summary shows this many rows per data set; the CSV and JSON hold them all.
SUMMARY_ROWS = 200
DATE_TIME = (2000, 1, 1, 0, 0, 0)  # fixed member times: the same data gives the same bytes


def _cell(value):
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    if isinstance(value, bool):
        return "true" if value else "false"
    return value


def dataset_csv(dataset: dict) -> str:
    """One data set as CSV: a header of its exported fields, one line per row."""
    columns = [f["name"] for f in dataset["fields"]] + ["_linked_by", "_withheld"]
    lines = [columns] + [[_cell(row.get(c)) for c in columns] for row in dataset["rows"]]
    return "".join(csv_lines(lines))


def _summary(document: dict, subject) -> str:
    datasets = [
        {
            "title": dataset["title"],
            "name": dataset["name"],
            "row_count": dataset["row_count"],
            "columns": [f["label"] for f in dataset["fields"]],
            "rows": [
                [_cell(row.get(f["name"])) for f in dataset["fields"]]
                for row in dataset["rows"][:SUMMARY_ROWS]
            ],
            "truncated": dataset["row_count"] > SUMMARY_ROWS,
        }
        for dataset in document["datasets"]
    ]
    profile = document["datasets"][0]["rows"][0]
    with translation.override(subject.language or settings.LANGUAGE_CODE):
        return render_to_string(
            "rights/export/summary.html",
            {
                "document": document,
                "profile": profile,
                "datasets": datasets,
                "media": document["media"],
                "summary_rows": SUMMARY_ROWS,
                "operator": settings.GROVE_OPERATOR_NAME,
                "privacy_contact": settings.GROVE_PRIVACY_CONTACT,
                "language": translation.get_language(),
            },
        )


def _write(
    archive: zipfile.ZipFile, path: str, data: bytes, files: list[dict], *, compress: bool = True
) -> None:
    info = zipfile.ZipInfo(path, date_time=DATE_TIME)
    # Photos and videos are compressed already: deflating them again costs time for nothing.
    info.compress_type = zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED
    archive.writestr(info, data)
    files.append({"path": path, "size": len(data), "sha256": hashlib.sha256(data).hexdigest()})


def write_export_zip(subject, fileobj) -> dict:
    """Write everything about ``subject`` as a ZIP into ``fileobj``; return its manifest.

    The manifest (no personal data: paths, sizes, hashes, counts) is what the caller records or
    prints. A media file missing from storage is reported in the manifest (``missing_media``)
    and left out; everything else is written.
    """
    document = personal_data(subject)
    storage_names = document.pop("_media_storage")
    files: list[dict] = []
    missing: list[str] = []
    with zipfile.ZipFile(fileobj, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for item in document["media"]:
            try:
                with default_storage.open(storage_names[item["path"]], "rb") as media_file:
                    data = media_file.read()
            except FileNotFoundError:
                missing.append(item["path"])
                continue
            _write(archive, item["path"], data, files, compress=False)
        document["missing_media"] = missing
        for dataset in document["datasets"]:
            _write(
                archive, f"csv/{dataset['name']}.csv", dataset_csv(dataset).encode("utf-8"), files
            )
        _write(archive, "summary.html", _summary(document, subject).encode("utf-8"), files)
        data = json.dumps(document, ensure_ascii=False, indent=2, sort_keys=False).encode("utf-8")
        _write(archive, "data.json", data, files)
    return {
        "schema_version": document["schema_version"],
        "datasets": {d["model"]: d["row_count"] for d in document["datasets"]},
        "rows": sum(d["row_count"] for d in document["datasets"]),
        "media": len(document["media"]) - len(missing),
        "missing_media": len(missing),
        "files": files,
    }
