"""EC2 account-level instance metadata defaults: moto 5.2.5 has neither ``GetInstanceMetadataDefaults`` nor
``ModifyInstanceMetadataDefaults`` (500). They are kept per account and region on moto's EC2 backend."""

from __future__ import annotations

from typing import Any

from auditpack.emulator.extensions import extension

FIELDS = {"HttpTokens": "httpTokens", "HttpPutResponseHopLimit": "httpPutResponseHopLimit",
          "HttpEndpoint": "httpEndpoint", "InstanceMetadataTags": "instanceMetadataTags"}
NAMESPACE = "http://ec2.amazonaws.com/doc/2016-11-15/"


def _defaults(backend: Any) -> dict[str, str]:
    return backend.__dict__.setdefault("auditpack_metadata_defaults", {})


def modify_instance_metadata_defaults(self: Any) -> str:
    defaults = _defaults(self.ec2_backend)
    for field in FIELDS:
        value = self._get_param(field)
        if value in ("no-preference", "-1"):
            defaults.pop(field, None)
        elif value is not None:
            defaults[field] = str(value)
    return (f'<ModifyInstanceMetadataDefaultsResponse xmlns="{NAMESPACE}"><requestId>auditpack</requestId>'
            "<return>true</return></ModifyInstanceMetadataDefaultsResponse>")


def get_instance_metadata_defaults(self: Any) -> str:
    values = "".join(f"<{FIELDS[k]}>{v}</{FIELDS[k]}>" for k, v in sorted(_defaults(self.ec2_backend).items()))
    return (f'<GetInstanceMetadataDefaultsResponse xmlns="{NAMESPACE}"><requestId>auditpack</requestId>'
            f"<accountLevel>{values}</accountLevel></GetInstanceMetadataDefaultsResponse>")


@extension("ec2-instance-metadata-defaults", service="ec2",
           operations=("GetInstanceMetadataDefaults", "ModifyInstanceMetadataDefaults"),
           reason="moto 5.2.5 has no account-level instance metadata defaults (500)")
def install() -> None:
    from moto.ec2.responses import EC2Response

    EC2Response.get_instance_metadata_defaults = get_instance_metadata_defaults  # type: ignore[attr-defined]
    EC2Response.modify_instance_metadata_defaults = modify_instance_metadata_defaults  # type: ignore[attr-defined]
