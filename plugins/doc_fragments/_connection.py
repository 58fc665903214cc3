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
  role_arn:
    description:
      - CAM role to assume, such as C(qcs::cam::uin/100000000001:roleName/cert-reader), usually in the account that
        owns the certificates.
      - With a key pair (from any source) or the CVM role as the base, the collection calls STS C(AssumeRole) once per
        process, signed by the base (with its token when it is temporary), and signs every SSL call with the temporary
        keys it returns. One hop only.
      - With a web identity (O(web_identity_token_file), O(web_identity_token), or a TKE pod's variables) this is the
        role the token is traded for with C(AssumeRoleWithWebIdentity).
      - "Environment variables (module and lookup): E(TENCENTCLOUD_ASSUME_ROLE_ARN), also E(TENCENTCLOUD_ROLE_ARN) (tccli's name)."
      - "A TKE pod's identity names its role in E(TKE_ROLE_ARN). A profile file may name one too (C(role_arn) in the INI
        file, C(role-arn) in a tccli file); it is then assumed with that profile's keys."
    type: str
  role_session_name:
    description:
      - C(RoleSessionName) of the STS call, shown in CloudAudit. 2 to 128 characters of letters, digits and C(_+=,.@-).
      - Defaults to C(cloudcert-tencent-<unix seconds>).
      - "Environment variables: E(TENCENTCLOUD_ASSUME_ROLE_SESSION_NAME), also E(TENCENTCLOUD_ROLE_SESSION_NAME);
        profile key C(role_session_name) (INI) or C(role-session-name) (tccli)."
    type: str
  role_duration:
    description:
      - Lifetime in seconds of the temporary keys STS issues (C(DurationSeconds)), 1 to 43200. Defaults to 7200.
      - Keys are refreshed in memory when less than max(300 s, 10 % of the lifetime granted) remains; they are never
        written anywhere.
      - "Environment variable: E(TENCENTCLOUD_ASSUME_ROLE_SESSION_DURATION)."
    type: int
  role_external_id:
    description:
      - C(ExternalId) that the role's trust policy requires (cross-account access by a third party); AssumeRole only.
      - "Environment variable: E(TENCENTCLOUD_ASSUME_ROLE_EXTERNAL_ID)."
    type: str
  role_policy:
    description:
      - A scope-down CAM policy for the assumed session (C(Policy), sent URL-encoded as the API requires), as a
        dictionary or a JSON string. The session can do at most what both the role and this policy allow. AssumeRole only.
    type: raw
  web_identity_token:
    description:
      - "An OIDC token (a JWT, such as AAP's OIDC credential) to trade for temporary keys with STS
        C(AssumeRoleWithWebIdentity), which is not signed (C(Authorization: SKIP)). Needs O(role_arn)."
      - A web identity replaces a key pair as the base; giving both in the same place is an error.
      - "Environment variable: E(TENCENTCLOUD_ASSUME_ROLE_WEB_IDENTITY_TOKEN). Never returned, logged or cached."
    type: str
  web_identity_token_file:
    description:
      - >-
        File holding the web identity token, such as a Kubernetes projected service-account token. It is read again at
        every refresh, as projected tokens rotate. It holds the raw token (whitespace around it ignored) or Terraform's
        JSON C({"web_identity_token": "..."}).
      - "Environment variables: E(TENCENTCLOUD_ASSUME_ROLE_WEB_IDENTITY_TOKEN_FILE), then E(TKE_WEB_IDENTITY_TOKEN_FILE),
        then its name before 2023, E(TKE_IDENTITY_TOKEN_FILE)."
      - "A TKE pod's four variables E(TKE_REGION), E(TKE_PROVIDER_ID), E(TKE_WEB_IDENTITY_TOKEN_FILE) and E(TKE_ROLE_ARN),
        all set, are a web identity of their own (as Tencent's SDK reads a pod's identity), ranked after a key pair in the
        environment."
    type: path
  web_identity_provider_id:
    description:
      - C(ProviderId) of the identity provider in CAM that issued the token. Defaults to C(OIDC).
      - "Environment variables: E(TENCENTCLOUD_ASSUME_ROLE_PROVIDER_ID), then E(TKE_PROVIDER_ID)."
    type: str
  sts_endpoint:
    description:
      - STS host or base URL, like O(endpoint).
      - Defaults to C(sts.<rest>) when O(endpoint) is a host C(ssl.<rest>) (so C(ssl.intl.tencentcloudapi.com) gives
        C(sts.intl.tencentcloudapi.com)), else C(sts.tencentcloudapi.com).
      - "Environment variable: E(TENCENTCLOUD_STS_ENDPOINT)."
    type: str
  sts_region:
    description:
      - Region sent as C(X-TC-Region) on STS calls. Defaults to E(TKE_REGION) for a TKE pod's identity, else O(region),
        else C(ap-guangzhou).
    type: str
requirements:
  - requests
notes:
  - "Credential precedence: task options, then (lookup only) Ansible variables and C(ansible.cfg), then the environment,
    then the profile files, then the CVM instance role. Each source must supply a complete key pair, or a web identity
    (a token or token file with a role; in the environment after a key pair, the TKE variables included). The credential
    chain reads the environment variables of O(secret_id), O(secret_key), O(security_token), O(profile), O(cvm_role),
    the C(role_*) and the C(web_identity_*) options itself, after everything the task and Ansible's configuration set."
  - "With O(role_arn), the credentials found assume that role once (STS C(AssumeRole)); C(credential_source) then says
    e.g. C(AssumeRole qcs::cam::uin/100000000001:roleName/reader (base: environment)). Temporary keys live in memory
    only and are fetched on first use: a lookup answered from its cache calls STS not at all."
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
  role_arn:
    ini:
      - section: cloudcert_tencent
        key: role_arn
    vars:
      - name: tencentcloud_role_arn
  role_session_name:
    ini:
      - section: cloudcert_tencent
        key: role_session_name
    vars:
      - name: tencentcloud_role_session_name
  role_duration:
    ini:
      - section: cloudcert_tencent
        key: role_duration
    vars:
      - name: tencentcloud_role_duration
  role_external_id:
    ini:
      - section: cloudcert_tencent
        key: role_external_id
    vars:
      - name: tencentcloud_role_external_id
  role_policy:
    ini:
      - section: cloudcert_tencent
        key: role_policy
    vars:
      - name: tencentcloud_role_policy
  web_identity_token:
    ini:
      - section: cloudcert_tencent
        key: web_identity_token
    vars:
      - name: tencentcloud_web_identity_token
  web_identity_token_file:
    ini:
      - section: cloudcert_tencent
        key: web_identity_token_file
    vars:
      - name: tencentcloud_web_identity_token_file
  web_identity_provider_id:
    ini:
      - section: cloudcert_tencent
        key: web_identity_provider_id
    vars:
      - name: tencentcloud_web_identity_provider_id
  sts_endpoint:
    env:
      - name: TENCENTCLOUD_STS_ENDPOINT
    ini:
      - section: cloudcert_tencent
        key: sts_endpoint
    vars:
      - name: tencentcloud_sts_endpoint
  sts_region:
    ini:
      - section: cloudcert_tencent
        key: sts_region
    vars:
      - name: tencentcloud_sts_region
"""
