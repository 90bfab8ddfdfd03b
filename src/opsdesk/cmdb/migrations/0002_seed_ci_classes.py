"""The twelve CI classes of the issue, each with a starting attribute schema admins may edit."""

from django.db import migrations


def _schema(**properties):
    return {"type": "object", "properties": properties, "additionalProperties": True}


TEXT = {"type": "string", "maxLength": 200}
COUNT = {"type": "integer", "minimum": 0}

CLASSES = [
    ("business_service", "Business service", "A service the business sees and buys.",
     _schema(service_hours=TEXT, customers=TEXT, sla_name=TEXT)),
    ("technical_service", "Technical service", "A service IT provides to other IT services.",
     _schema(service_hours=TEXT, endpoint=TEXT)),
    ("application", "Application", "Software that delivers part of a service.",
     _schema(version=TEXT, url=TEXT, language=TEXT)),
    ("database", "Database", "A database instance or cluster.",
     _schema(engine={"type": "string", "enum": ["postgresql", "mysql", "mariadb", "oracle",
                                                "sqlserver", "mongodb", "redis", "other"]},
             version=TEXT, size_gb={"type": "number", "minimum": 0}, port={
                 "type": "integer", "minimum": 1, "maximum": 65535})),
    ("server", "Server", "A physical server.",
     _schema(os=TEXT, cpu_cores={"type": "integer", "minimum": 1},
             memory_gb={"type": "number", "minimum": 0}, serial_number=TEXT, ip_address=TEXT)),
    ("virtual_machine", "Virtual machine", "A virtual machine on a hypervisor or cloud.",
     _schema(os=TEXT, vcpus={"type": "integer", "minimum": 1},
             memory_gb={"type": "number", "minimum": 0}, ip_address=TEXT)),
    ("container_platform", "Container platform", "A Kubernetes or similar cluster.",
     _schema(distribution=TEXT, version=TEXT, nodes=COUNT)),
    ("network_device", "Network device", "A router, switch, firewall or load balancer.",
     _schema(role={"type": "string", "enum": ["router", "switch", "firewall",
                                              "load_balancer", "wireless", "other"]},
             model=TEXT, firmware=TEXT, management_ip=TEXT)),
    ("storage", "Storage", "A storage array, NAS or backup appliance.",
     _schema(capacity_tb={"type": "number", "minimum": 0}, protocol=TEXT, model=TEXT)),
    ("endpoint", "Endpoint", "A laptop, desktop, phone or printer.",
     _schema(asset_tag=TEXT, assigned_to=TEXT, os=TEXT)),
    ("cloud_resource", "Cloud resource", "A managed resource at a cloud provider.",
     _schema(provider=TEXT, region=TEXT, resource_id=TEXT, account=TEXT)),
    ("other", "Other", "Anything that fits no other class.", _schema()),
]


def seed(apps, schema_editor):
    CIClass = apps.get_model("cmdb", "CIClass")
    for key, name, description, attribute_schema in CLASSES:
        CIClass.objects.get_or_create(
            key=key,
            defaults={"name": name, "description": description,
                      "attribute_schema": attribute_schema},
        )


def unseed(apps, schema_editor):
    CIClass = apps.get_model("cmdb", "CIClass")
    CIClass.objects.filter(key__in=[c[0] for c in CLASSES], items__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("cmdb", "0001_initial")]

    operations = [migrations.RunPython(seed, unseed)]
