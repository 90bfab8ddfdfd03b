"""Demo CMDB of Larkfield Home (the company of ``opsdesk.core.demo``): eleven business services
standing on applications, databases, VMs, hosts, storage and network, so impact analysis has real
chains to follow (for example a SAN array reaches Payroll through host, VM, database and
application). The services are the ones staff call about: besides the store, ERP, payroll, mail
and the support portal, their devices, printing, the office network, VPN and signing in.

Names start with the site (lon, man, dub, ber) where a CI stands in one office, and that is
its location."""

from django.contrib.auth.hashers import make_password

from opsdesk.cmdb.models import CIClass, ConfigurationItem, Relationship
from opsdesk.cmdb.services import ci_create, relationship_create
from opsdesk.core.demo import DEMO_PASSWORD
from opsdesk.core.models import Team, User
from opsdesk.core.roles import Role
from opsdesk.core.services import user_create

SS = "Server & Storage"
NET = "Network Operations"
DBA = "Database Administration"
IAM = "Identity & Access"
ERP = "ERP Applications"
COLLAB = "Collaboration Apps"
ITOC = "IT Operations Centre"

# (class, name, team, criticality, vendor, attributes)
CIS = [
    ("business_service", "Payroll", ERP, 1, "", {"service_hours": "Mon-Fri 07:00-19:00"}),
    ("business_service", "Online Store", ERP, 1, "", {"service_hours": "24x7"}),
    ("business_service", "Email & Calendar", COLLAB, 2, "", {"service_hours": "24x7"}),
    ("business_service", "ERP – Finance & Logistics", ERP, 1, "", {"customers": "Finance"}),
    ("business_service", "Customer Support Portal", COLLAB, 2, "", {"service_hours": "24x7"}),
    ("business_service", "Document Sharing", COLLAB, 3, "", {}),
    ("business_service", "Accounts & sign-in", IAM, 1, "", {"service_hours": "24x7"}),
    ("business_service", "Remote access (VPN)", NET, 2, "", {"service_hours": "24x7"}),
    ("business_service", "Office network & Wi-Fi", NET, 2, "", {}),
    ("business_service", "Workplace devices", COLLAB, 3, "", {"customers": "Everyone"}),
    ("business_service", "Printing", COLLAB, 4, "", {"service_hours": "Mon-Fri 08:00-18:00"}),
    ("technical_service", "Active Directory", IAM, 1, "Microsoft", {}),
    ("technical_service", "Single sign-on", IAM, 1, "Keycloak", {}),
    ("technical_service", "DNS", NET, 1, "", {}),
    ("technical_service", "Backup service", SS, 2, "Veeam", {}),
    ("technical_service", "Monitoring", ITOC, 2, "Prometheus", {}),
    ("technical_service", "Print service", COLLAB, 4, "", {}),
    ("application", "erp-core", ERP, 1, "SAP", {"version": "S/4HANA 2023"}),
    ("application", "erp-finance", ERP, 1, "SAP", {}),
    ("application", "erp-logistics", ERP, 2, "SAP", {}),
    ("application", "payroll-engine", ERP, 1, "ADP", {"version": "12.4"}),
    ("application", "hr-portal", ERP, 2, "", {"url": "https://hr.example.com"}),
    ("application", "exchange-mail", COLLAB, 2, "Microsoft", {"version": "2019 CU14"}),
    ("application", "store-frontend", ERP, 1, "", {"language": "Python"}),
    ("application", "store-checkout", ERP, 1, "", {"language": "Python"}),
    ("application", "store-catalog", ERP, 2, "", {"language": "Go"}),
    ("application", "payment-gateway-adapter", ERP, 1, "Adyen", {}),
    ("application", "support-portal-app", COLLAB, 2, "", {}),
    ("application", "ticket-mailer", COLLAB, 3, "", {}),
    ("application", "file-shares", COLLAB, 3, "Microsoft", {}),
    ("application", "prometheus", ITOC, 3, "", {}),
    ("database", "db-erp", DBA, 1, "Oracle", {"engine": "oracle", "version": "19c"}),
    ("database", "db-payroll", DBA, 1, "Microsoft", {"engine": "sqlserver", "port": 1433}),
    ("database", "db-store", DBA, 1, "", {"engine": "postgresql", "version": "16"}),
    ("database", "cache-store", DBA, 2, "", {"engine": "redis"}),
    ("database", "db-support", DBA, 2, "", {"engine": "postgresql", "version": "15"}),
    ("container_platform", "k8s-prod-lon", SS, 1, "", {"distribution": "k3s", "nodes": 3}),
    ("cloud_resource", "aws-s3-media", SS, 3, "AWS", {"provider": "aws", "region": "eu-west-2"}),
    ("cloud_resource", "aws-s3-backups", SS, 2, "AWS", {"provider": "aws", "region": "eu-west-1"}),
    ("storage", "san-lon-01", SS, 1, "NetApp", {"capacity_tb": 240, "protocol": "iSCSI"}),
    ("storage", "san-man-01", SS, 2, "NetApp", {"capacity_tb": 120, "protocol": "NFS"}),
    ("storage", "backup-vault-01", SS, 2, "Dell", {"capacity_tb": 400}),
    ("network_device", "core-sw-lon-01", NET, 1, "Cisco", {"role": "switch"}),
    ("network_device", "core-sw-lon-02", NET, 1, "Cisco", {"role": "switch"}),
    ("network_device", "core-sw-man-01", NET, 2, "Cisco", {"role": "switch"}),
    ("network_device", "fw-edge-lon-01", NET, 1, "Palo Alto", {"role": "firewall"}),
    ("network_device", "lb-web-01", NET, 1, "F5", {"role": "load_balancer"}),
    ("network_device", "wan-router-lon", NET, 1, "Juniper", {"role": "router"}),
    ("network_device", "wifi-ctrl-lon", NET, 3, "Aruba", {"role": "wireless"}),
    ("other", "ups-lon-dc-a", SS, 1, "APC", {}),
    ("endpoint", "lon-print-2f", COLLAB, 4, "HP", {"asset_tag": "PR-0022"}),
    ("endpoint", "lon-print-3f", COLLAB, 4, "HP", {"asset_tag": "PR-0031"}),
    ("endpoint", "man-print-dc-01", COLLAB, 4, "Zebra", {"asset_tag": "PR-0107"}),
    ("endpoint", "dub-print-01", COLLAB, 4, "HP", {"asset_tag": "PR-0201"}),
    ("endpoint", "ber-print-01", COLLAB, 4, "Kyocera", {"asset_tag": "PR-0301"}),
    ("endpoint", "kiosk-reception-01", COLLAB, 4, "Dell", {"asset_tag": "KI-0002"}),
]
EVERYONE = [
    "Finance",
    "Sales",
    "Marketing",
    "Human Resources",
    "Legal",
    "Logistics",
    "Customer Care",
    "Engineering",
]
# The departments (as on the demo users' profiles) that use each business service.
CONSUMERS = {
    "Payroll": ["Human Resources", "Finance"],
    "Online Store": ["Sales", "Marketing", "Customer Care"],
    "ERP – Finance & Logistics": ["Finance", "Logistics"],
    "Customer Support Portal": ["Customer Care"],
    "Document Sharing": ["Legal", "Engineering", "Marketing", "Finance"],
    "Email & Calendar": EVERYONE,
    "Accounts & sign-in": EVERYONE,
    "Remote access (VPN)": EVERYONE,
    "Office network & Wi-Fi": EVERYONE,
    "Workplace devices": EVERYONE,
    "Printing": EVERYONE,
}
SITES = {"lon": "London", "man": "Manchester", "dub": "Dublin", "ber": "Berlin"}
HOSTS = [f"esx-lon-0{i}" for i in range(1, 7)] + ["esx-man-01", "esx-man-02"]
CIS += [("server", h, SS, 1 if "lon" in h else 2, "Dell", {"cpu_cores": 48}) for h in HOSTS]
VMS = {
    "vm-erp-app-01": "esx-lon-01",
    "vm-erp-app-02": "esx-lon-02",
    "vm-erp-db-01": "esx-lon-03",
    "vm-payroll-app-01": "esx-lon-01",
    "vm-payroll-db-01": "esx-lon-04",
    "vm-mail-01": "esx-lon-05",
    "vm-mail-02": "esx-man-01",
    "vm-dc-01": "esx-lon-06",
    "vm-dc-02": "esx-man-02",
    "vm-store-db-01": "esx-lon-03",
    "vm-store-db-02": "esx-lon-04",
    "vm-support-app-01": "esx-lon-05",
    "vm-monitoring-01": "esx-lon-06",
    "vm-file-01": "esx-man-01",
    "vm-print-01": "esx-man-02",
    "vm-k8s-node-01": "esx-lon-02",
}
CIS += [("virtual_machine", vm, SS, 2, "", {"vcpus": 4, "os": "Linux"}) for vm in VMS]

RELS = [
    # business services and what they are made of
    ("erp-core", "part_of", "ERP – Finance & Logistics"),
    ("erp-finance", "part_of", "ERP – Finance & Logistics"),
    ("erp-logistics", "part_of", "ERP – Finance & Logistics"),
    ("Payroll", "depends_on", "payroll-engine"),
    ("Payroll", "depends_on", "hr-portal"),
    ("Online Store", "depends_on", "store-frontend"),
    ("Online Store", "depends_on", "lb-web-01"),
    ("Email & Calendar", "depends_on", "exchange-mail"),
    ("Customer Support Portal", "depends_on", "support-portal-app"),
    ("Customer Support Portal", "depends_on", "ticket-mailer"),
    ("Document Sharing", "depends_on", "file-shares"),
    ("Accounts & sign-in", "depends_on", "Single sign-on"),
    ("Accounts & sign-in", "depends_on", "Active Directory"),
    ("Remote access (VPN)", "depends_on", "fw-edge-lon-01"),
    ("Remote access (VPN)", "depends_on", "Active Directory"),
    ("Office network & Wi-Fi", "depends_on", "wifi-ctrl-lon"),
    ("Office network & Wi-Fi", "depends_on", "core-sw-lon-01"),
    ("Office network & Wi-Fi", "depends_on", "core-sw-man-01"),
    ("Office network & Wi-Fi", "depends_on", "DNS"),
    ("Workplace devices", "depends_on", "Active Directory"),
    ("Workplace devices", "depends_on", "kiosk-reception-01"),
    # applications
    ("erp-finance", "depends_on", "erp-core"),
    ("erp-logistics", "depends_on", "erp-core"),
    ("erp-core", "depends_on", "db-erp"),
    ("erp-core", "runs_on", "vm-erp-app-01"),
    ("erp-core", "runs_on", "vm-erp-app-02"),
    ("erp-core", "depends_on", "Single sign-on"),
    ("payroll-engine", "depends_on", "db-payroll"),
    ("payroll-engine", "runs_on", "vm-payroll-app-01"),
    ("payroll-engine", "depends_on", "erp-finance"),
    ("hr-portal", "depends_on", "Single sign-on"),
    ("hr-portal", "runs_on", "k8s-prod-lon"),
    ("exchange-mail", "runs_on", "vm-mail-01"),
    ("exchange-mail", "runs_on", "vm-mail-02"),
    ("exchange-mail", "depends_on", "Active Directory"),
    ("exchange-mail", "depends_on", "DNS"),
    ("store-frontend", "depends_on", "store-catalog"),
    ("store-frontend", "depends_on", "store-checkout"),
    ("store-frontend", "runs_on", "k8s-prod-lon"),
    ("store-catalog", "runs_on", "k8s-prod-lon"),
    ("store-catalog", "depends_on", "db-store"),
    ("store-catalog", "depends_on", "aws-s3-media"),
    ("store-checkout", "runs_on", "k8s-prod-lon"),
    ("store-checkout", "depends_on", "db-store"),
    ("store-checkout", "depends_on", "cache-store"),
    ("store-checkout", "depends_on", "payment-gateway-adapter"),
    ("payment-gateway-adapter", "runs_on", "k8s-prod-lon"),
    ("payment-gateway-adapter", "connects_to", "fw-edge-lon-01"),
    ("support-portal-app", "runs_on", "vm-support-app-01"),
    ("support-portal-app", "depends_on", "db-support"),
    ("support-portal-app", "depends_on", "Single sign-on"),
    ("ticket-mailer", "depends_on", "exchange-mail"),
    ("file-shares", "runs_on", "vm-file-01"),
    ("file-shares", "depends_on", "Active Directory"),
    ("prometheus", "runs_on", "vm-monitoring-01"),
    ("prometheus", "part_of", "Monitoring"),
    # technical services
    ("Single sign-on", "depends_on", "Active Directory"),
    ("Single sign-on", "runs_on", "k8s-prod-lon"),
    ("Active Directory", "runs_on", "vm-dc-01"),
    ("Active Directory", "runs_on", "vm-dc-02"),
    ("Active Directory", "depends_on", "DNS"),
    ("DNS", "runs_on", "vm-dc-01"),
    ("Print service", "runs_on", "vm-print-01"),
    ("kiosk-reception-01", "connects_to", "wifi-ctrl-lon"),
    ("wifi-ctrl-lon", "connects_to", "core-sw-lon-01"),
    ("Backup service", "depends_on", "backup-vault-01"),
    ("Backup service", "depends_on", "aws-s3-backups"),
    # databases
    ("db-erp", "runs_on", "vm-erp-db-01"),
    ("db-payroll", "runs_on", "vm-payroll-db-01"),
    ("db-store", "runs_on", "vm-store-db-01"),
    ("db-store", "runs_on", "vm-store-db-02"),
    ("cache-store", "runs_on", "k8s-prod-lon"),
    ("db-support", "runs_on", "vm-store-db-02"),
    ("db-erp", "backed_up_by", "Backup service"),
    ("db-payroll", "backed_up_by", "Backup service"),
    ("db-store", "backed_up_by", "Backup service"),
    # platform and infrastructure
    ("k8s-prod-lon", "runs_on", "vm-k8s-node-01"),
    ("lb-web-01", "connects_to", "fw-edge-lon-01"),
    ("fw-edge-lon-01", "connects_to", "wan-router-lon"),
    ("core-sw-lon-01", "depends_on", "ups-lon-dc-a"),
    ("san-lon-01", "depends_on", "ups-lon-dc-a"),
    # the two core switches back each other up: a cycle the walks must survive
    ("core-sw-lon-01", "connects_to", "core-sw-lon-02"),
    ("core-sw-lon-02", "connects_to", "core-sw-lon-01"),
    ("core-sw-man-01", "connects_to", "wan-router-lon"),
]
RELS += [(vm, "hosted_on", host) for vm, host in VMS.items()]
PRINTERS = [c[1] for c in CIS if "-print-" in c[1]]
for printer in PRINTERS:
    RELS.append(("Printing", "depends_on", printer))
    RELS.append((printer, "depends_on", "Print service"))
for host in HOSTS:
    site = "lon" if "lon" in host else "man"
    RELS.append((host, "depends_on", f"san-{site}-01"))
    RELS.append((host, "connects_to", f"core-sw-{site}-01"))


def site_of(name: str) -> str:
    """The office a CI stands in, from its name (``man-print-dc-01``, ``esx-man-02``)."""
    for part in name.split("-"):
        if part in SITES:
            return SITES[part]
    return "London"


def load(*, progress) -> None:
    """Add the demo CIs and relationships that are missing."""
    owner = User.objects.filter(username="owner").first()
    if owner is None:
        owner = user_create(
            actor=None,
            username="owner",
            display_name="Sam Service-Owner",
            email="owner@example.com",
            roles=[Role.SERVICE_OWNER],
            department="IT",
        )
        User.objects.filter(pk=owner.pk).update(password=make_password(DEMO_PASSWORD))
    classes = {c.key: c for c in CIClass.objects.all()}
    teams = {t.name: t for t in Team.objects.all()}
    items = {ci.name: ci for ci in ConfigurationItem.objects.filter(name__in=[c[1] for c in CIS])}
    added = 0
    for class_key, name, team, criticality, vendor, attributes in CIS:
        if name in items:
            continue
        items[name] = ci_create(
            actor=None,
            name=name,
            ci_class=classes[class_key],
            criticality=criticality,
            supporting_team=teams.get(team),
            vendor=vendor,
            attributes=attributes,
            service_owner=owner if class_key == "business_service" else None,
            location=site_of(name),
            consumer_departments=CONSUMERS.get(name, []),
        )
        added += 1
    progress(f"{added} configuration items added ({len(CIS)} in the demo CMDB)")
    existing = set(
        Relationship.objects.filter(source__in=items.values()).values_list(
            "source__name", "type", "target__name"
        )
    )
    added = 0
    for source, rel_type, target in RELS:
        if (source, rel_type, target) not in existing:
            relationship_create(
                actor=None, source=items[source], type=rel_type, target=items[target]
            )
            added += 1
    progress(f"{added} relationships added; service owner sign-in 'owner'")
