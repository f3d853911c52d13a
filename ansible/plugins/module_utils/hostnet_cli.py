# -*- coding: utf-8 -*-
# Copyright: hostnet developers
# Apache License 2.0 (see LICENSE in the hostnet repository)
"""Runs the hostnet binary for the modules of this collection.

hostnet's exit codes are its contract: 0 success (no changes for plan --detailed-exitcode),
1 error, 2 changes pending (plan --detailed-exitcode). Every argument is passed as a list
item, never through a shell.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import shutil
import tempfile

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_CHANGES = 2

# Inline plan content is written to the target: bound what a task can make it write.
MAX_INLINE_BYTES = 16 * 1024 * 1024
MAX_INLINE_FILES = 1000

COMMON_ARGS = dict(
    binary=dict(type='str', default='hostnet'),
    netns=dict(type='str'),
    state_dir=dict(type='path'),
)


def global_args(module):
    """The arguments every hostnet command takes: --netns."""
    args = []
    if module.params.get('netns'):
        args += ['--netns', module.params['netns']]
    return args


def binary(module):
    b = module.params['binary']
    if os.sep in b:
        return b
    return module.get_bin_path(b, required=True)


def run(module, args, check_rc=False):
    """Runs hostnet with args; returns (rc, stdout, stderr)."""
    cmd = [binary(module)] + global_args(module) + args
    env = None
    if module.params.get('state_dir'):
        env = {'HOSTNET_STATE_DIR': module.params['state_dir']}
    rc, out, err = module.run_command(cmd, check_rc=check_rc, environ_update=env)
    return rc, out, err


def parse_json(text):
    """Parses hostnet's --json output; None when it is not JSON (an older binary, a crash)."""
    text = (text or '').strip()
    if not text:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return None


def json_error(doc):
    """The message of a --json document's error (docs/json.md), or None."""
    if isinstance(doc, dict) and isinstance(doc.get('error'), dict):
        return '%s: %s' % (doc['error'].get('kind'), doc['error'].get('message'))
    return None


def json_part(doc, key):
    """doc[key] of a format 1.x document (docs/json.md); None for another format."""
    if not isinstance(doc, dict) or not str(doc.get('format_version', '')).startswith('1.'):
        return None
    return doc.get(key)


class PlanSource(object):
    """The plan a task names: a path on the target, or inline content written to a private
    temporary directory that is removed afterwards."""

    def __init__(self, module):
        self.module = module
        self.tmp = None
        path = module.params.get('path')
        content = module.params.get('content')
        if content is None:
            self.path = path
            return
        files = content if isinstance(content, dict) else {'plan.hcl': content}
        if len(files) > MAX_INLINE_FILES:
            module.fail_json(msg='content: at most %d files' % MAX_INLINE_FILES)
        total = 0
        self.tmp = tempfile.mkdtemp(prefix='hostnet-plan-')
        os.chmod(self.tmp, 0o700)
        for name, text in files.items():
            name = str(name)
            if (os.sep in name or name.startswith('.') or not name.endswith('.hcl')):
                self.cleanup()
                module.fail_json(msg='content: file name %r must be a plain *.hcl name' % name)
            data = str(text).encode('utf-8')
            total += len(data)
            if total > MAX_INLINE_BYTES:
                self.cleanup()
                module.fail_json(msg='content: more than %d bytes' % MAX_INLINE_BYTES)
            with open(os.path.join(self.tmp, name), 'wb') as f:
                f.write(data)
        self.path = self.tmp

    def cleanup(self):
        if self.tmp:
            shutil.rmtree(self.tmp, ignore_errors=True)
            self.tmp = None


def plan_args(module):
    """--var, --var-file, --ignore-host-guard and --libvirt-uri, as plan, apply and destroy take them."""
    args = []
    for k, v in sorted((module.params.get('vars') or {}).items()):
        if isinstance(v, bool):
            v = 'true' if v else 'false'
        elif isinstance(v, (list, dict)):
            v = json.dumps(v)
        args += ['--var', '%s=%s' % (k, v)]
    for f in module.params.get('var_files') or []:
        args += ['--var-file', f]
    if module.params.get('ignore_host_guard'):
        args.append('--ignore-host-guard')
    if module.params.get('libvirt_uri'):
        args += ['--libvirt-uri', module.params['libvirt_uri']]
    return args
