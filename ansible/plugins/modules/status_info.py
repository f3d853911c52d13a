#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: hostnet developers
# Apache License 2.0 (see LICENSE in the hostnet repository)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
module: status_info
short_description: Bond health, bridges, VLANs and drift of a hypervisor, as facts
description:
  - Runs C(hostnet status --json) on the target and returns it, with a summary of bond health
    (bonds with a slave whose MII state is not up, 802.3ad bonds without an LACP partner) and,
    with a plan, the drift between the plan and the kernel.
  - Changes nothing; runs the same in check mode.
version_added: 0.1.0
author: hostnet developers
options:
  path:
    description: A plan on the target to compare with (C(hostnet status --plan)).
    type: path
  vars:
    description: Plan variables, passed as C(--var NAME=VALUE).
    type: dict
  var_files:
    description: Variable files on the target.
    type: list
    elements: path
  ignore_host_guard:
    description: Compare even when the plan's C(host) block names another host.
    type: bool
    default: false
  netns:
    description: Run hostnet in this network namespace.
    type: str
  state_dir:
    description: hostnet's state directory.
    type: path
  binary:
    description: The hostnet binary.
    type: str
    default: hostnet
'''

EXAMPLES = r'''
- name: Read bond health and drift
  hostnet.hostnet.status_info:
    path: /etc/hostnet
  register: net

- name: Fail on a degraded bond
  ansible.builtin.assert:
    that: net.degraded_bonds | length == 0
'''

RETURN = r'''
status:
  description: The C(status) part of C(hostnet status --json) (docs/json.md), with C(pending_confirmation).
  returned: always
  type: dict
degraded_bonds:
  description: Names of bonds with a slave not up, or an 802.3ad bond without a partner.
  returned: always
  type: list
  elements: str
drift:
  description: Plan objects that differ from the kernel (empty without a plan).
  returned: always
  type: list
  elements: dict
ansible_facts:
  description: C(hostnet_status) (the same as I(status)).
  returned: always
  type: dict
'''

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.hostnet.hostnet.plugins.module_utils import hostnet_cli as cli


def degraded(status):
    out = []
    for b in status.get('bonds') or []:
        slaves = b.get('slaves') or []
        bad = not slaves or any(s.get('mii') != 'up' for s in slaves)
        lacp = b.get('lacp')
        if lacp is not None and not lacp.get('partner_found', True):
            bad = True
        if bad:
            out.append(b.get('name'))
    return out


def main():
    argument_spec = dict(
        path=dict(type='path'),
        vars=dict(type='dict'),
        var_files=dict(type='list', elements='path'),
        ignore_host_guard=dict(type='bool', default=False),
    )
    argument_spec.update(cli.COMMON_ARGS)
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True)
    args = ['status', '--json']
    if module.params.get('path'):
        args += ['--plan', module.params['path']] + cli.plan_args(module)
    rc, out, err = cli.run(module, args)
    doc = cli.parse_json(out)
    status = cli.json_part(doc, 'status')
    if rc != cli.EXIT_OK or status is None:
        why = cli.json_error(doc) or (err or out).strip()
        module.fail_json(msg='hostnet status failed (exit %d): %s' % (rc, why), rc=rc, stdout=out, stderr=err)
    module.exit_json(changed=False, status=status, degraded_bonds=degraded(status),
                     drift=status.get('drift') or [], ansible_facts=dict(hostnet_status=status))


if __name__ == '__main__':
    main()
