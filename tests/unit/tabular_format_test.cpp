// CSV as docs/cli.md#csv says: RFC 4180 quoting, null as an empty field,
// booleans as true/false, one dataset per output. (Every dataset's CSV
// against its NDJSON: tests/readers/test_table_schemas.py.)
#include "stages/sinks/tabular_format.h"

#include <gtest/gtest.h>

#include "core/error.h"
#include "core/table_schema.h"

namespace pricepipe::stages {
namespace {

TEST(CsvFormat, QuotesWhatWouldEndAFieldAndWritesNullAsNothing) {
  const CsvFormat csv(Dataset::regions, csv_columns(Dataset::regions));
  EXPECT_EQ(csv.header(), "region,account_id,partition,opt_in_status,enabled,endpoint,location,geography,currency\n");
  RecordBatch batch;
  batch.dataset = Dataset::regions;
  batch.ndjson = std::make_shared<const std::string>(
      R"({"region":"eu-west-1","account_id":"123456789012","partition":"aws","opt_in_status":"opt-in-not-required","enabled":true,)"
      R"("endpoint":"ec2.eu-west-1.amazonaws.com","location":"Europe, \"Ireland\"\nDublin","geography":null,)"
      R"("currency":"USD"})"
      "\n"
      R"({"region":"x","account_id":"210987654321","partition":"aws","opt_in_status":"not-opted-in","enabled":false,"endpoint":"e",)"
      R"("location":"","geography":"g\r","currency":"USD"})"
      "\n");
  batch.rows = 2;
  EXPECT_EQ(csv.encode(batch),
            "eu-west-1,123456789012,aws,opt-in-not-required,true,ec2.eu-west-1.amazonaws.com,\"Europe, \"\"Ireland\"\"\nDublin\",,USD\n"
            "x,210987654321,aws,not-opted-in,false,e,\"\",\"g\r\",USD\n");
}

TEST(CsvFormat, TakesTheRecordsOfOneDatasetOnly) {
  EXPECT_NO_THROW(make_format({"csv", {}, false}, {Dataset::catalog, Dataset::catalog}));
  try {
    make_format({"csv", {}, false}, {Dataset::catalog, Dataset::on_demand_prices});
    FAIL() << "two datasets in one CSV";
  } catch (const FatalError& e) {
    EXPECT_EQ(e.error().code(), ErrorCode::usage);
    EXPECT_NE(std::string(e.what()).find("catalog, on-demand-prices"), std::string::npos) << e.what();
  }
}

TEST(TableFormat, AlignsTextLeftNumbersRightAndShowsNullAsADash) {
  const TableFormat table(Dataset::spot_prices, csv_columns(Dataset::spot_prices));
  RecordBatch batch;
  batch.dataset = Dataset::spot_prices;
  batch.ndjson = std::make_shared<const std::string>(
      R"({"region":"eu-west-1","account_id":"123456789012","zone":"eu-west-1a","zone_id":null,"instance_type":"m7g.large",)"
      R"("product_description":"Linux/UNIX\tVPC","price":7,"timestamp":"2026-12-01T00:00:00Z"})"
      "\n"
      R"({"region":"us-east-1","account_id":"123456789012","zone":"us-east-1b","zone_id":"use1-az2","instance_type":"p5.48xlarge",)"
      R"("product_description":"Windows","price":12.345,"timestamp":"2026-12-01T00:00:00Z"})"
      "\n");
  EXPECT_EQ(table.render(table.encode(batch)),
            "region     account_id    zone        zone_id   instance_type  product_description   price  timestamp\n"
            "---------  ------------  ----------  --------  -------------  -------------------  ------  --------------------\n"
            "eu-west-1  123456789012  eu-west-1a  -         m7g.large      Linux/UNIX VPC            7  2026-12-01T00:00:00Z\n"
            "us-east-1  123456789012  us-east-1b  use1-az2  p5.48xlarge    Windows              12.345  2026-12-01T00:00:00Z\n");
}

TEST(TabularFormats, ColumnsArePickedByTheHeadersNamesAndAWrongOneNamesTheNearest) {
  auto csv = make_format({"csv", {"price", "zone"}, false}, {Dataset::spot_prices});
  EXPECT_EQ(csv->header(), "price,zone\n");
  try {
    make_format({"table", {"prise"}, false}, {Dataset::spot_prices});
    FAIL() << "a column that is not there was taken";
  } catch (const FatalError& e) {
    EXPECT_NE(std::string(e.what()).find("spot-prices has no column 'prise'; did you mean 'price'?"), std::string::npos)
        << e.what();
  }
  EXPECT_TRUE(writes_at_end("table"));
  EXPECT_TRUE(writes_at_end("matrix"));
  EXPECT_FALSE(writes_at_end("csv"));
  EXPECT_FALSE(writes_at_end("ndjson"));
}

// The capacity matrix, exactly: a type in rank order once (its two markets
// one row), the zones of the region, the price per zone, `n/a` where the zone
// offers the type without a spot price and `-` where it does not offer it.
TEST(MatrixFormat, TypesByZonesWithMarksWhereNotOfferedOrNotPriced) {
  ChoiceRecord a;
  a.region = "eu-west-1";
  a.instance_type = "m7g.large";
  a.market = "spot";
  a.zones = {"eu-west-1a", "eu-west-1b"};
  a.spot_price_by_zone = {{"eu-west-1a", 0.031}, {"eu-west-1b", 0.029}};
  ChoiceRecord b = a;
  b.market = "on-demand";  // the same type again: no second row
  ChoiceRecord c;
  c.region = "eu-west-1";
  c.instance_type = "c7g.xlarge";
  c.market = "spot";
  c.zones = {"eu-west-1b", "eu-west-1c"};
  c.spot_price_by_zone = {{"eu-west-1c", 0.05}};
  RecordBatch batch;
  batch.dataset = Dataset::choices;
  batch.records = std::make_shared<const RecordVector>(std::vector<ChoiceRecord>{a, b, c});
  const MatrixFormat plain(false);
  EXPECT_EQ(plain.render(plain.encode(batch)),
            "eu-west-1: current spot price per hour by availability zone (- not offered, n/a no spot price)\n"
            "instance_type  eu-west-1a  eu-west-1b  eu-west-1c\n"
            "m7g.large           0.031       0.029           -\n"
            "c7g.xlarge              -         n/a        0.05\n");
  const MatrixFormat colour(true);
  const std::string painted = colour.render(colour.encode(batch));
  EXPECT_NE(painted.find("\x1b[32m0.029\x1b[0m"), std::string::npos) << "the cheapest zone in green";
  EXPECT_NE(painted.find("\x1b[2m-\x1b[0m"), std::string::npos) << "a zone that does not offer it, dim";
}

}  // namespace
}  // namespace pricepipe::stages
