#!/usr/bin/env python3
"""Writes the rh-batch man page (mdoc) from the tool's own help description.

    rh-batch --experimental-dump-help | Scripts/generate-manual.py > docs/rh-batch.1

swift-argument-parser's `generate-manual` plugin renders the same description; it needs a release
build of the whole package (over 15 minutes on a 2-core machine), so the project renders it here
from `--experimental-dump-help`, which every build of rh-batch prints. A test checks that the
committed page is what this script makes from the current binary.
"""
import json
import sys

DATE = "November 2026"


def escape(text):
    text = text.replace("\\", "\\e")
    lines = []
    for line in text.split("\n"):
        if line.startswith(".") or line.startswith("'"):
            line = "\\&" + line
        if not line.strip():
            line = ".Pp"
        lines.append(line)
    return "\n".join(lines)


def flag_name(name):
    return ("-" if name["kind"] == "short" else "--") + name["name"]


def synopsis(path, command):
    out = [".Nm" if not path else f".Nm {' '.join(path)}"]
    for argument in command.get("arguments", []):
        if not argument.get("shouldDisplay", True):
            continue
        if argument["kind"] == "positional":
            text = f".Ar {argument['valueName']}"
        else:
            name = flag_name(argument["preferredName"])
            text = f".Fl {name[1:]}" if argument["kind"] == "flag" else f".Fl {name[1:]} Ar {argument['valueName']}"
        if argument.get("isRepeating"):
            text += " ..."
        out.append(f".Op {text[1:]}" if argument.get("isOptional") else text)
    return out


def arguments(command):
    out = []
    shown = [a for a in command.get("arguments", []) if a.get("shouldDisplay", True)]
    if not shown:
        return out
    out.append(".Bl -tag -width 6n")
    for argument in shown:
        if argument["kind"] == "positional":
            out.append(f".It Ar {argument['valueName']}")
        else:
            names = ", ".join(flag_name(n) for n in argument.get("names", []))
            value = f" Ar {argument['valueName']}" if argument["kind"] == "option" else ""
            out.append(f".It Fl {names[1:].replace(', -', ' , Fl ')}{value}")
        text = argument.get("abstract", "")
        if "defaultValue" in argument:
            text += f" (default: {argument['defaultValue']})"
        out.append(escape(text))
    out.append(".El")
    return out


def section(path, command, out):
    if path:
        out.append(f".Ss {' '.join(path)}")
        out.append(escape(command.get("abstract", "")))
        out.append(".Pp")
        out.extend(synopsis(path, command))
        out.append(".Pp")
        if command.get("discussion"):
            out.append(escape(command["discussion"]))
            out.append(".Pp")
        out.extend(arguments(command))
    for sub in command.get("subcommands", []):
        if sub.get("shouldDisplay", True) and sub["commandName"] != "help":
            section(path + [sub["commandName"]], sub, out)


def main():
    tool = json.load(sys.stdin)["command"]
    name = tool["commandName"]
    out = [
        f".Dd {DATE}",
        f".Dt {name.upper()} 1",
        ".Os",
        ".Sh NAME",
        f".Nm {name}",
        f".Nd {escape(tool.get('abstract', ''))}",
        ".Sh SYNOPSIS",
        ".Nm",
        ".Ar subcommand",
        ".Op Ar options",
        ".Sh DESCRIPTION",
        escape(tool.get("discussion", "")),
        ".Pp",
    ]
    out.extend(arguments(tool))
    out.append(".Sh COMMANDS")
    section([], tool, out)
    out += [
        ".Sh ENVIRONMENT",
        ".Bl -tag -width 6n",
        ".It Ev RH_API_KEY",
        "The RunningHub API key (an Enterprise-Shared key). Not needed with --simulate.",
        ".It Ev RH_API_BASE_URL",
        "The API base URL (default https://www.runninghub.ai/openapi/v2).",
        ".El",
        ".Sh EXIT STATUS",
        "0 every job succeeded or was already done; 1 some jobs did not succeed; 2 the run stopped early;",
        "64 invalid command line or manifest, nothing sent; 130 interrupted.",
        ".Sh SEE ALSO",
        "The repository's docs/manifest.md, docs/cli.md, docs/output.md and docs/simulator.md.",
    ]
    sys.stdout.write("\n".join(out) + "\n")


if __name__ == "__main__":
    main()
