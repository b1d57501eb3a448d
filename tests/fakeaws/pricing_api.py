"""The Pricing API (AWSPriceListService) over the JSON 1.1 protocol: GetProducts."""

import base64
import hashlib
import json

SERVICE_CODES = {"AmazonEC2"}


class PricingError(Exception):
    def __init__(self, status, code, message):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


def error_body(code, message):
    return json.dumps({"__type": f"com.amazonaws.awspricing#{code}", "Message": message})


def _matches(product, filters):
    for field, value in filters.items():
        if field == "productFamily":
            actual = "Compute Instance"
        elif field == "sku":
            actual = product.sku
        else:
            actual = product.attributes.get(field)
        if actual != value:
            return False
    return True


class PricingApi:
    def __init__(self, price_world):
        self.prices = price_world

    def handle(self, target, body):
        """(JSON answer, 1-based page number) for an X-Amz-Target and request body."""
        operation = target.rsplit(".", 1)[-1]
        if not target.startswith("AWSPriceListService.") or operation != "GetProducts":
            raise PricingError(400, "UnknownOperationException", f"Operation {operation} is not supported")
        try:
            request = json.loads(body or b"{}")
        except ValueError:
            raise PricingError(400, "SerializationException", "Start of structure or map found where not expected")
        return self.get_products(request)

    def get_products(self, request):
        service = request.get("ServiceCode")
        if service not in SERVICE_CODES:
            raise PricingError(400, "InvalidParameterException",
                               f"Input parameters are invalid. The ServiceCode {service!r} is not supported.")
        if request.get("FormatVersion", "aws_v1") != "aws_v1":
            raise PricingError(400, "InvalidParameterException", "Input parameters are invalid. Unsupported FormatVersion")
        size = request.get("MaxResults", 100)
        if not isinstance(size, int) or not 1 <= size <= 100:
            raise PricingError(400, "InvalidParameterException", "Input parameters are invalid. MaxResults must be between 1 and 100")
        filters = {}
        for f in request.get("Filters", []):
            if f.get("Type") != "TERM_MATCH" or "Field" not in f or "Value" not in f:
                raise PricingError(400, "InvalidParameterException", "Input parameters are invalid. Filters must be TERM_MATCH with Field and Value")
            filters[f["Field"]] = f["Value"]
        key = hashlib.sha256(json.dumps(sorted(filters.items())).encode()).hexdigest()[:16]
        offset = 0
        token = request.get("NextToken")
        if token:
            try:
                decoded = json.loads(base64.b64decode(token))
                if decoded["k"] != key:
                    raise ValueError
                offset = int(decoded["o"])
            except Exception:
                raise PricingError(400, "InvalidNextTokenException", "The next token is invalid or expired")

        regions = [filters["regionCode"]] if "regionCode" in filters else list(self.prices.world.regions)
        matched = [p for region in regions for p in self.prices.products(region) if _matches(p, filters)]
        chunk = matched[offset:offset + size]
        answer = {"FormatVersion": "aws_v1", "PriceList": [p.price_list_item() for p in chunk]}
        if offset + len(chunk) < len(matched):
            answer["NextToken"] = base64.b64encode(json.dumps({"o": offset + len(chunk), "k": key}).encode()).decode()
        return json.dumps(answer), offset // size + 1
