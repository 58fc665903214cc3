# Copyright (c) cloudcert.tencent contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The shared connection options, documented once for the module and the lookup."""

from __future__ import annotations


class ModuleDocFragment:
    # The options themselves; modules read the environment variables named in the descriptions.
    DOCUMENTATION = r"""
options:
  secret_id:
    description:
      - Tencent Cloud API key ID (C(AKID...)).
      - Must be given together with O(secret_key). When neither is set, the credential chain continues with
        the environment, then the profile files, then the CVM instance role.
      - "Environment variable (module and lookup): E(TENCENTCLOUD_SECRET_ID)."
    type: str
  secret_key:
    description:
      - Tencent Cloud API secret key matching O(secret_id). Never returned, logged or cached.
      - "Environment variable (module and lookup): E(TENCENTCLOUD_SECRET_KEY)."
    type: str
  security_token:
    description:
      - Session token of temporary keys (STS, CAM role). Sent as C(X-TC-Token); never returned, logged or cached.
      - "Environment variables (module and lookup): E(TENCENTCLOUD_SECURITY_TOKEN), also E(TENCENTCLOUD_TOKEN)."
    type: str
    aliases: [token]
  profile:
    description:
      - Profile to read from C(~/.tencentcloud/credentials) (INI, section O(profile) with C(secret_id), C(secret_key),
        optional C(token)) or C(~/.tccli/<profile>.credential) (JSON with C(secretId), C(secretKey), optional C(token)).
      - Used only when no keys come from the options or the environment. A profile other than C(default) that is not
        found in either file is an error.
      - "Environment variable (module and lookup): E(TENCENTCLOUD_PROFILE). Defaults to C(default)."
    type: str
  cvm_role:
    description:
      - Name of the CAM role bound to this CVM instance, or C(auto) to ask the metadata service for it.
        Temporary keys and token are fetched from the metadata service and refreshed five minutes before they expire.
      - Used last, when no other source has keys.
      - The metadata base URL V(http://metadata.tencentyun.com/latest/meta-data/cam/security-credentials/) can be replaced
        with the environment variable E(CLOUDCERT_TENCENT_METADATA_URL), a testing aid for emulators and proxies.
      - "Environment variable (module and lookup): E(TENCENTCLOUD_CVM_ROLE)."
    type: str
  region:
    description:
      - Region sent as C(X-TC-Region). The SSL service is global and ignores it; to pin a region use O(endpoint).
      - "Environment variable: E(TENCENTCLOUD_REGION)."
    type: str
  endpoint:
    description:
      - API host or base URL.
      - C(ssl.intl.tencentcloudapi.com) (default) for international-site accounts, C(ssl.tencentcloudapi.com) for
        China-site accounts, C(ssl.<region>.tencentcloudapi.com) for a regional host, or a full URL such as
        C(https://gateway.example.com) or C(http://127.0.0.1:8443) for a local emulator.
      - "Environment variable: E(TENCENTCLOUD_SSL_ENDPOINT)."
    type: str
    default: ssl.intl.tencentcloudapi.com
  language:
    description:
      - Language of the API's messages and status names (C(X-TC-Language)).
    type: str
    choices: [en-US, zh-CN]
    default: en-US
  timeout:
    description:
      - Seconds to wait for each HTTP attempt. Must be greater than 0.
    type: float
    default: 15
  validate_certs:
    description:
      - Verify the endpoint's TLS certificate. V(false) is allowed for emulators and trusted gateways and always warns.
    type: bool
    default: true
  ca_path:
    description:
      - PEM bundle of CA certificates to trust instead of the system store (for a gateway with a private CA).
    type: path
  retries:
    description:
      - "Extra attempts for failures that heal by waiting: throttling (C(RequestLimitExceeded*),
        C(LimitExceeded.RateLimitExceeded)), C(InternalError), C(ServiceUnavailable), connection errors, timeouts,
        HTTP 5xx and any answer that is not a valid API envelope (truncated or non-JSON bodies, HTML pages, JSON
        without C(Response))."
      - Waits use full-jitter exponential backoff (0.5 s doubling, capped at 8 s).
      - Authentication failures, unknown certificates and invalid parameters are never retried.
      - Throttled requests are retried for O(throttle_timeout) seconds, however many attempts that takes.
      - Must be 0 or more.
    type: int
    default: 5
  rate_limit:
    description:
      - At most this many requests start in any sliding one-second window, retries included.
        The API's documented limit is 10 requests per second per action and account.
      - Concurrent requests are used up to this rate, so describing N certificates takes about N / O(rate_limit) seconds.
      - Must be greater than 0; fractions such as V(0.5) mean one request every two seconds.
      - The limit is shared, per API key, endpoint and action, by every process of the user on the machine
        (forks, concurrent C(ansible-playbook) runs, the lookup and the module on the controller). Their state lives
        in owner-only files under C($XDG_RUNTIME_DIR/cloudcert.tencent/ratelimit) (or C(~/.cache/cloudcert.tencent/ratelimit);
        the environment variable E(CLOUDCERT_TENCENT_RATELIMIT_DIR) replaces the directory). The files hold request times
        and a hash of the key ID, never a secret. If they cannot be used safely, each process paces itself alone.
      - While the API answers with throttling (other machines use the same account), the rate is lowered
        for the whole machine and raised again as answers succeed.
    type: float
    default: 10
  throttle_timeout:
    description:
      - Seconds for which throttled requests (C(RequestLimitExceeded*), C(LimitExceeded.RateLimitExceeded)) keep being
        retried, counted from a request's first attempt, with jittered waits of at most 1 s (the machine's lowered rate
        paces them; see O(rate_limit)). Throttling then makes a run slower, not failed;
        O(retries) does not limit these retries (and V(0) gives throttling the same O(retries) as other failures).
      - Must be 0 or more.
    type: float
    default: 300
requirements:
  - requests
notes:
  - "Credential precedence: task options, then (lookup only) Ansible variables and C(ansible.cfg), then the environment,
    then the profile files, then the CVM instance role. Each source must supply a complete key pair. The credential
    chain reads the environment variables of O(secret_id), O(secret_key), O(security_token), O(profile) and O(cvm_role)
    itself, after everything the task and Ansible's configuration set."
  - "Other options of the lookup follow Ansible's usual order: lookup keywords, Ansible variables, environment,
    C(ansible.cfg), default."
  - The certificate times of the API are Beijing time (UTC+08:00); the derived C(not_before) and C(not_after) are UTC.
"""

    # For the lookup: the same options, plus the places Ansible reads them from.
    PLUGINS = r"""
options:
  secret_id:
    ini:
      - section: cloudcert_tencent
        key: secret_id
    vars:
      - name: tencentcloud_secret_id
  secret_key:
    ini:
      - section: cloudcert_tencent
        key: secret_key
    vars:
      - name: tencentcloud_secret_key
  security_token:
    ini:
      - section: cloudcert_tencent
        key: security_token
    vars:
      - name: tencentcloud_security_token
  profile:
    ini:
      - section: cloudcert_tencent
        key: profile
    vars:
      - name: tencentcloud_profile
  cvm_role:
    ini:
      - section: cloudcert_tencent
        key: cvm_role
    vars:
      - name: tencentcloud_cvm_role
  region:
    env:
      - name: TENCENTCLOUD_REGION
    ini:
      - section: cloudcert_tencent
        key: region
    vars:
      - name: tencentcloud_region
  endpoint:
    env:
      - name: TENCENTCLOUD_SSL_ENDPOINT
    ini:
      - section: cloudcert_tencent
        key: endpoint
    vars:
      - name: tencentcloud_endpoint
  language:
    ini:
      - section: cloudcert_tencent
        key: language
    vars:
      - name: tencentcloud_language
  timeout:
    ini:
      - section: cloudcert_tencent
        key: timeout
    vars:
      - name: tencentcloud_timeout
  validate_certs:
    ini:
      - section: cloudcert_tencent
        key: validate_certs
    vars:
      - name: tencentcloud_validate_certs
  ca_path:
    ini:
      - section: cloudcert_tencent
        key: ca_path
    vars:
      - name: tencentcloud_ca_path
  retries:
    ini:
      - section: cloudcert_tencent
        key: retries
    vars:
      - name: tencentcloud_retries
  rate_limit:
    ini:
      - section: cloudcert_tencent
        key: rate_limit
    vars:
      - name: tencentcloud_rate_limit
  throttle_timeout:
    ini:
      - section: cloudcert_tencent
        key: throttle_timeout
    vars:
      - name: tencentcloud_throttle_timeout
"""
