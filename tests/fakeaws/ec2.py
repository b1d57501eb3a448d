"""EC2's query protocol: Describe* actions answered in AWS's XML.

Element names come from botocore's EC2 service model (each member's
`locationName`, lists as `<item>`), so every field of the world's instance
types is written the way EC2 writes it; members the model does not know fall
back to lowerCamelCase.
"""

import base64
import fnmatch
import gzip
import hashlib
import json
import os
from xml.sax.saxutils import escape

NAMESPACE = "http://ec2.amazonaws.com/doc/2016-11-15/"
API_VERSION = "2016-11-15"



def opt_in_status(region, account):
    """The region's opt-in status for `account` (None: the default account, which has not enabled the
    world's not-opted-in regions; every other account has)."""
    if account is not None and region.opt_in_status == "not-opted-in":
        return "opted-in"
    return region.opt_in_status

class Ec2Error(Exception):
    def __init__(self, status, code, message):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


def error_body(code, message, request_id):
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error><Code>{escape(code)}</Code>'
            f"<Message>{escape(message)}</Message></Error></Errors><RequestID>{request_id}</RequestID></Response>")


def _load_model():
    try:
        import botocore
    except ImportError:
        return None
    path = os.path.join(os.path.dirname(botocore.__file__), "data", "ec2", API_VERSION, "service-2.json.gz")
    if not os.path.exists(path):
        return None
    with gzip.open(path) as f:
        return json.load(f)["shapes"]


class XmlSerializer:
    """Model-driven XML for EC2 output shapes."""

    def __init__(self):
        self.shapes = _load_model()

    def member_name(self, shape_name, member):
        if self.shapes:
            m = self.shapes.get(shape_name, {}).get("members", {}).get(member)
            if m and "locationName" in m:
                return m["locationName"], m["shape"]
            if m:
                return member[0].lower() + member[1:], m["shape"]
        return member[0].lower() + member[1:], None

    def value(self, shape_name, value, out):
        shape = self.shapes.get(shape_name, {}) if (self.shapes and shape_name) else {}
        kind = shape.get("type")
        if isinstance(value, dict):
            for member, v in value.items():
                if v is None:
                    continue
                tag, child = self.member_name(shape_name, member)
                out.append(f"<{tag}>")
                self.value(child, v, out)
                out.append(f"</{tag}>")
        elif isinstance(value, list):
            member = shape.get("member", {}) if kind == "list" else {}
            member_shape = member.get("shape")
            # As botocore reads EC2 lists: the member's locationName, else
            # "member" (a few shapes, e.g. InferenceDeviceInfoList, say so).
            tag = member.get("locationName", "member") if member else "item"
            for v in value:
                out.append(f"<{tag}>")
                self.value(member_shape, v, out)
                out.append(f"</{tag}>")
        elif isinstance(value, bool):
            out.append("true" if value else "false")
        else:
            out.append(escape(str(value)))

    def item(self, shape_name, value):
        out = []
        self.value(shape_name, value, out)
        return "".join(out)


SERIALIZER = XmlSerializer()


def _list_param(params, prefix):
    """Name.1, Name.2 … → [values]."""
    out = []
    n = 1
    while f"{prefix}.{n}" in params:
        out.append(params[f"{prefix}.{n}"])
        n += 1
    return out


def _filters(params, known=None):
    """Filter.N.Name / Filter.N.Value.M → {name: [values]}. With `known` (a
    set, or a predicate on the name), other names are refused as EC2 does."""
    filters = {}
    n = 1
    while f"Filter.{n}.Name" in params:
        name = params[f"Filter.{n}.Name"]
        ok = known is None or (known(name) if callable(known) else name in known)
        if not ok:
            raise Ec2Error(400, "InvalidParameterValue", f"The filter '{name}' is invalid")
        filters[name] = _list_param(params, f"Filter.{n}.Value")
        n += 1
    return filters


def _matches(patterns, value):
    return any(fnmatch.fnmatchcase(value, p) for p in patterns)


def _filter_words(part):
    """EC2 names filters in kebab case and in the singular: 'supported-usage-class'
    is SupportedUsageClasses, 'instance-storage-info.disk.type' goes through Disks."""
    word = part.replace("-", "")
    return (word, word + "s", word + "es")


def _is_instance_type_filter(name):
    """Whether a DescribeInstanceTypes filter names a member of InstanceTypeInfo."""
    shapes = SERIALIZER.shapes
    if not shapes:  # without the model, any name is taken at its word
        return True
    shape = shapes["InstanceTypeInfo"]
    for part in name.split("."):
        if shape.get("type") == "list":
            shape = shapes[shape["member"]["shape"]]
        member = next((m for m in shape.get("members", {}) if m.lower() in _filter_words(part)), None)
        if member is None:
            return False
        shape = shapes[shape["members"][member]["shape"]]
    return True


def _field_values(info, name):
    """The values a filter name reaches in an instance type, lists flattened."""
    values = [info]
    for part in name.split("."):
        words = _filter_words(part)
        reached = []
        for value in values:
            for key, child in value.items() if isinstance(value, dict) else ():
                if key.lower() in words:
                    reached.extend(child if isinstance(child, list) else [child])
        values = reached
    return values


def _value_matches(patterns, value):
    """EC2 filter values: wildcards on the text; numbers also by value ('3' is 3.0)."""
    text = ("true" if value else "false") if isinstance(value, bool) else str(value)
    for pattern in patterns:
        if fnmatch.fnmatchcase(text, pattern):
            return True
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            try:
                if float(pattern) == value:
                    return True
            except ValueError:
                pass
    return False


def _bool_param(params, name):
    return params.get(name, "false").lower() == "true"


# DescribeAvailabilityZones' filter names (EC2 API reference).
ZONE_FILTERS = {"group-long-name", "group-name", "message", "network-border-group", "opt-in-status", "parent-zone-id",
                "parent-zone-name", "region-name", "state", "zone-id", "zone-name", "zone-type"}


class Pager:
    """Opaque NextToken: the offset plus a digest of the request it belongs to."""

    def __init__(self, action, region, params, minimum, maximum, default):
        self.key = hashlib.sha256(json.dumps(
            [action, region, sorted((k, v) for k, v in params.items() if k not in ("NextToken", "MaxResults"))]
        ).encode()).hexdigest()[:16]
        raw = params.get("MaxResults")
        if raw is None:
            self.size = default
        else:
            try:
                self.size = int(raw)
            except ValueError:
                raise Ec2Error(400, "InvalidParameterValue", f"Value ({raw}) for parameter maxResults is invalid.")
            if not minimum <= self.size <= maximum:
                raise Ec2Error(400, "InvalidParameterValue",
                               f"Value ( {raw} ) for parameter maxResults is invalid. "
                               f"Parameter must be between {minimum} and {maximum}.")
        token = params.get("NextToken")
        self.offset = 0
        if token is not None:
            try:
                decoded = json.loads(base64.urlsafe_b64decode(token.encode()).decode())
                if decoded["k"] != self.key:
                    raise ValueError
                self.offset = int(decoded["o"])
            except Exception:
                raise Ec2Error(400, "InvalidParameterValue",
                               f"Value ( {token} ) for parameter NextToken is invalid. The token is invalid.")

    def page(self, items):
        """(items of this page, 1-based page number, next token or None)."""
        chunk = items[self.offset:self.offset + self.size]
        end = self.offset + len(chunk)
        token = None
        if end < len(items):
            token = base64.urlsafe_b64encode(json.dumps({"o": end, "k": self.key}).encode()).decode()
        return chunk, self.offset // max(1, self.size) + 1, token


class Ec2:
    def __init__(self, world, spot_world=None):
        self.world = world
        self.spot = spot_world
        self.type_xml = {}  # instance type → serialized <item> body, shared by every region

    def _type_item(self, name):
        xml = self.type_xml.get(name)
        if xml is None:
            xml = SERIALIZER.item("InstanceTypeInfo", self.world.instance_types[name])
            self.type_xml[name] = xml
        return xml

    def handle(self, action, region_name, params, request_id, account=None):
        """(XML body, 1-based page number) for an action in a region, asked by `account` (None: the
        default one). Accounts differ as AWS's do in which opt-in regions they enabled: the default
        account has not enabled the world's not-opted-in regions, every other account has."""
        if params.get("Version") != API_VERSION:
            raise Ec2Error(400, "InvalidParameterValue" if "Version" in params else "MissingParameter",
                           "The request must contain the parameter Version" if "Version" not in params
                           else f"Value ({params['Version']}) for parameter Version is invalid.")
        handler = {
            "DescribeRegions": self.describe_regions,
            "DescribeAvailabilityZones": self.describe_availability_zones,
            "DescribeInstanceTypes": self.describe_instance_types,
            "DescribeInstanceTypeOfferings": self.describe_instance_type_offerings,
            "DescribeSpotPriceHistory": self.describe_spot_price_history,
        }.get(action)
        if handler is None:
            raise Ec2Error(400, "InvalidAction", f"The action {action} is not valid for this web service.")
        region = self.world.region(region_name)
        if region is None:
            raise Ec2Error(401, "AuthFailure", "AWS was not able to validate the provided access credentials")
        if opt_in_status(region, account) == "not-opted-in":
            # What EC2 answers for a region the account has not enabled.
            raise Ec2Error(401, "AuthFailure", "AWS was not able to validate the provided access credentials")
        if handler == self.describe_regions:
            return handler(region, params, request_id, account)
        return handler(region, params, request_id)

    @staticmethod
    def _envelope(action, inner, request_id, token=None):
        tail = f"<nextToken>{escape(token)}</nextToken>" if token else ""
        return (f'<?xml version="1.0" encoding="UTF-8"?>\n<{action}Response xmlns="{NAMESPACE}">'
                f"<requestId>{request_id}</requestId>{inner}{tail}</{action}Response>")

    def describe_regions(self, region, params, request_id, account=None):
        wanted = _list_param(params, "RegionName")
        filters = _filters(params, {"endpoint", "region-name", "opt-in-status"})
        include_all = _bool_param(params, "AllRegions")
        items = []
        for r in self.world.regions.values():
            status = opt_in_status(r, account)
            if not include_all and status == "not-opted-in":
                continue
            if wanted and r.name not in wanted:
                continue
            endpoint = f"ec2.{r.name}.amazonaws.com"
            fields = {"endpoint": endpoint, "region-name": r.name, "opt-in-status": status}
            if not all(_matches(patterns, fields[f]) for f, patterns in filters.items()):
                continue
            items.append(f"<item><regionName>{r.name}</regionName><regionEndpoint>{endpoint}"
                         f"</regionEndpoint><optInStatus>{status}</optInStatus></item>")
        return self._envelope("DescribeRegions", f"<regionInfo>{''.join(items)}</regionInfo>", request_id), 1

    def describe_availability_zones(self, region, params, request_id):
        names = set(_list_param(params, "ZoneName"))
        ids = set(_list_param(params, "ZoneId"))
        filters = _filters(params, ZONE_FILTERS)
        items = []
        for zone, zone_id in region.zones:
            if (names or ids) and zone not in names and zone_id not in ids:
                continue
            fields = {"zone-name": zone, "zone-id": zone_id, "region-name": region.name, "group-name": region.name,
                      "network-border-group": region.name, "state": "available", "zone-type": "availability-zone",
                      "opt-in-status": "opt-in-not-required"}
            # Filters on what these zones lack (parent zones, messages) match nothing.
            if not all(f in fields and _matches(patterns, fields[f]) for f, patterns in filters.items()):
                continue
            items.append(f"<item><zoneName>{zone}</zoneName><zoneId>{zone_id}</zoneId><zoneState>available</zoneState>"
                         f"<regionName>{region.name}</regionName><groupName>{region.name}</groupName>"
                         f"<optInStatus>opt-in-not-required</optInStatus><networkBorderGroup>{region.name}"
                         f"</networkBorderGroup><zoneType>availability-zone</zoneType><messageSet/></item>")
        return self._envelope("DescribeAvailabilityZones", f"<availabilityZoneInfo>{''.join(items)}</availabilityZoneInfo>",
                              request_id), 1

    def describe_instance_types(self, region, params, request_id):
        pager = Pager("DescribeInstanceTypes", region.name, params, 5, 100, 100)
        wanted = _list_param(params, "InstanceType")
        filters = _filters(params, _is_instance_type_filter)
        if wanted:
            # A type the region does not offer does not exist there, as far as EC2 says.
            unknown = [t for t in wanted if t not in region.offered]
            if unknown:
                raise Ec2Error(400, "InvalidInstanceType", f"The following supplied instance types do not exist: [{', '.join(unknown)}]")
        names = []
        for name in region.instance_types:
            if wanted and name not in wanted:
                continue
            info = self.world.instance_types[name]
            if all(any(_value_matches(patterns, v) for v in _field_values(info, f)) for f, patterns in filters.items()):
                names.append(name)
        chunk, page, token = pager.page(names)
        items = "".join(f"<item>{self._type_item(n)}</item>" for n in chunk)
        return self._envelope("DescribeInstanceTypes", f"<instanceTypeSet>{items}</instanceTypeSet>", request_id, token), page

    def describe_instance_type_offerings(self, region, params, request_id):
        pager = Pager("DescribeInstanceTypeOfferings", region.name, params, 5, 1000, 1000)
        location_type = params.get("LocationType", "region")
        filters = _filters(params, {"location", "instance-type"})
        rows = []
        if location_type == "region":
            rows = [(t, region.name) for t in region.instance_types]
        elif location_type in ("availability-zone", "availability-zone-id"):
            ids = dict(region.zones)
            for zone, types in region.offerings.items():
                location = zone if location_type == "availability-zone" else ids[zone]
                rows.extend((t, location) for t in types)
        else:
            raise Ec2Error(400, "InvalidParameterValue", f"Value ({location_type}) for parameter locationType is invalid.")
        if "instance-type" in filters:
            rows = [r for r in rows if _matches(filters["instance-type"], r[0])]
        if "location" in filters:
            rows = [r for r in rows if _matches(filters["location"], r[1])]
        chunk, page, token = pager.page(rows)
        items = "".join(f"<item><instanceType>{t}</instanceType><locationType>{location_type}</locationType>"
                        f"<location>{loc}</location></item>" for t, loc in chunk)
        return self._envelope("DescribeInstanceTypeOfferings", f"<instanceTypeOfferingSet>{items}</instanceTypeOfferingSet>",
                              request_id, token), page

    def describe_spot_price_history(self, region, params, request_id):
        import spot
        pager = Pager("DescribeSpotPriceHistory", region.name, params, 5, 1000, 1000)
        filters = _filters(params)
        types = _list_param(params, "InstanceType") or list(region.instance_types)
        types = [t for t in types if t in region.instance_types]
        if "instance-type" in filters:
            types = [t for t in types if _matches(filters["instance-type"], t)]
        products = _list_param(params, "ProductDescription") or filters.get("product-description") or list(spot.PRODUCTS)
        unknown = [p for p in products if p not in spot.PRODUCTS]
        if unknown:
            raise Ec2Error(400, "InvalidParameterValue", f"Value ({unknown[0]}) for parameter productDescription is invalid.")
        try:
            now = spot.datetime.datetime.now(spot.datetime.timezone.utc)
            end = spot.parse_time(params["EndTime"]) if "EndTime" in params else now
            start = spot.parse_time(params["StartTime"]) if "StartTime" in params else end - spot.datetime.timedelta(days=90)
        except ValueError:
            raise Ec2Error(400, "InvalidParameterValue", "StartTime and EndTime must be ISO 8601 times")
        if start > end:
            raise Ec2Error(400, "InvalidParameterValue", "The start time must be before the end time.")
        zones = set(_list_param(params, "AvailabilityZone") or ([params["AvailabilityZone"]] if "AvailabilityZone" in params else []))
        rows = self.spot.history(region.name, types, products, start, end, zones or None)
        chunk, page, token = pager.page(rows)
        items = "".join(
            f"<item><instanceType>{t}</instanceType><productDescription>{escape(p)}</productDescription>"
            f"<spotPrice>{price:.6f}</spotPrice><timestamp>{spot.format_time(when)}</timestamp>"
            f"<availabilityZone>{zone}</availabilityZone></item>"
            for when, zone, t, p, price in chunk)
        # EC2 ends this chain with an empty token rather than none.
        tail = "" if token else "<nextToken/>"
        return self._envelope("DescribeSpotPriceHistory", f"<spotPriceHistorySet>{items}</spotPriceHistorySet>{tail}",
                              request_id, token), page
