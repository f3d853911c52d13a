#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: hostnet developers
# Apache License 2.0 (see LICENSE in the hostnet repository)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
module: plan
short_description: Apply or destroy a hostnet host plan on a hypervisor
description:
  - Runs the hostnet binary on the target to make the hypervisor's network (bonds, bridges,
    VLANs, addresses, routes, libvirt networks) match a host plan, or to remove what hostnet
    built (I(state=absent)).
  - Check mode runs C(hostnet plan) and changes nothing; the task reports C(changed) when
    the plan has changes. Diff mode shows hostnet's plan.
  - With I(confirm_within) and I(probes) the apply is guarded by hostnet's dead-man timer
    and the module waits for its verdict; a host whose probes fail after the apply restores
    its previous state by itself and the task fails (so C(serial) with
    C(max_fail_percentage=0) stops the rollout there).
version_added: 0.1.0
author: hostnet developers
options:
  path:
    description: Plan file or directory on the target. One of I(path) or I(content) is required.
    type: path
  content:
    description:
      - Inline plan, written to a private temporary directory on the target and removed
        afterwards. A string is one C(plan.hcl); a dict maps C(*.hcl) file names to their text.
    type: raw
  vars:
    description: Plan variables, passed as C(--var NAME=VALUE); lists and maps as JSON.
    type: dict
  var_files:
    description: Variable files on the target (C(--var-file)).
    type: list
    elements: path
  state:
    description: C(present) applies the plan; C(absent) destroys what hostnet built from it.
    type: str
    choices: [present, absent]
    default: present
  confirm_within:
    description:
      - Dead-man timer (for example C(60s), C(2m)); the previous state is restored unless the
        probes pass (or C(hostnet confirm) runs) in time.
    type: str
  probes:
    description:
      - Probes that confirm the apply (C(gateway), C(icmp:ADDR), C(tcp:HOST:PORT),
        C(exec:/absolute/command)). With I(confirm_within) the module waits for the
        watchdog's verdict and fails when it restored.
    type: list
    elements: str
  libvirt_uri:
    description: libvirt connection for the plan's C(libvirt_network) blocks.
    type: str
  ignore_host_guard:
    description: Apply even when the plan's C(host) block names another host.
    type: bool
    default: false
  netns:
    description: Run hostnet in this network namespace (C(hostnet --netns)).
    type: str
  state_dir:
    description: hostnet's state directory (lock, snapshot, dead-man timer).
    type: path
  binary:
    description: The hostnet binary, a name looked up in PATH or a path.
    type: str
    default: hostnet
notes:
  - Supports check mode and diff mode.
  - Exit codes of hostnet are the contract; its C(--json) output is returned as is.
'''

EXAMPLES = r'''
- name: Hypervisor network, one host at a time, each guarded by its gateway
  hosts: hypervisors
  serial: 1
  max_fail_percentage: 0
  tasks:
    - name: Apply the host plan
      hostnet.hostnet.plan:
        content: "{{ lookup('ansible.builtin.template', 'hypervisor.hcl.j2') }}"
        vars:
          address: "{{ mgmt_address }}"
        confirm_within: 60s
        probes: [gateway]

- name: Remove what hostnet built
  hostnet.hostnet.plan:
    path: /etc/hostnet
    state: absent
'''

RETURN = r'''
plan:
  description: C(hostnet plan --json) of the plan before the change (docs/json.md; typed changes per object in C(changes.resources)).
  returned: always
  type: dict
plan_text:
  description: The plan as hostnet prints it for people.
  returned: always
  type: str
exit_code:
  description:
    - Exit code of the last hostnet command (C(plan --detailed-exitcode) gives 2 for changes
      pending, which is not a failure; hence not C(rc)).
  returned: always
  type: int
stdout:
  description: Output of the apply or destroy.
  returned: when a change ran
  type: str
rolled_back:
  description: True when the dead-man watchdog restored the previous state.
  returned: always
  type: bool
'''

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.hostnet.hostnet.plugins.module_utils import hostnet_cli as cli


def main():
    argument_spec = dict(
        path=dict(type='path'),
        content=dict(type='raw'),
        vars=dict(type='dict'),
        var_files=dict(type='list', elements='path'),
        state=dict(type='str', choices=['present', 'absent'], default='present'),
        confirm_within=dict(type='str'),
        probes=dict(type='list', elements='str'),
        libvirt_uri=dict(type='str'),
        ignore_host_guard=dict(type='bool', default=False),
    )
    argument_spec.update(cli.COMMON_ARGS)
    module = AnsibleModule(
        argument_spec=argument_spec,
        mutually_exclusive=[('path', 'content')],
        required_one_of=[('path', 'content')],
        required_by={'probes': 'confirm_within'},
        supports_check_mode=True,
    )
    src = cli.PlanSource(module)
    try:
        run(module, src.path)
    finally:
        src.cleanup()


def run(module, path):
    p = module.params
    destroy = p['state'] == 'absent'
    common = cli.plan_args(module)
    plan_cmd = ['plan', '--detailed-exitcode'] + (['--destroy'] if destroy else []) + common
    rc, out, err = cli.run(module, plan_cmd + ['--json', path])
    plan = cli.parse_json(out)
    if rc not in (cli.EXIT_OK, cli.EXIT_CHANGES):
        module.fail_json(msg='hostnet plan failed (exit %d): %s' % (rc, cli.json_error(plan) or (err or out).strip()),
                         rc=rc, stdout=out, stderr=err, plan=plan)
    _, text, _ = cli.run(module, plan_cmd + [path])
    result = dict(changed=rc == cli.EXIT_CHANGES, exit_code=rc, plan=plan, plan_text=text, rolled_back=False)
    if module._diff:
        result['diff'] = dict(prepared=text)
    if rc == cli.EXIT_OK or module.check_mode:
        module.exit_json(**result)

    verb = 'destroy' if destroy else 'apply'
    args = [verb, '--auto-approve'] + common
    waiting = False
    if p.get('confirm_within') and not destroy:
        args += ['--confirm-within', p['confirm_within']]
        for probe in p.get('probes') or []:
            args += ['--probe', probe]
        if p.get('probes'):
            args.append('--wait')
            waiting = True
    rc, out, err = cli.run(module, args + [path])
    result.update(exit_code=rc, stdout=out, stderr=err)
    if rc != cli.EXIT_OK:
        result['rolled_back'] = waiting and 'watchdog restored' in (err + out)
        what = 'rolled back by the dead-man watchdog' if result['rolled_back'] else 'failed'
        module.fail_json(msg='hostnet %s %s (exit %d): %s' % (verb, what, rc, (err or out).strip()), **result)
    result['pending_confirmation'] = bool(p.get('confirm_within')) and not waiting and not destroy
    module.exit_json(**result)


if __name__ == '__main__':
    main()
