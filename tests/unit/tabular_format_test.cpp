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
  EXPECT_EQ(csv.header(), "region,partition,opt_in_status,enabled,endpoint,location,geography,currency\n");
  RecordBatch batch;
  batch.dataset = Dataset::regions;
  batch.ndjson = std::make_shared<const std::string>(
      R"({"region":"eu-west-1","partition":"aws","opt_in_status":"opt-in-not-required","enabled":true,)"
      R"("endpoint":"ec2.eu-west-1.amazonaws.com","location":"Europe, \"Ireland\"\nDublin","geography":null,)"
      R"("currency":"USD"})"
      "\n"
      R"({"region":"x","partition":"aws","opt_in_status":"not-opted-in","enabled":false,"endpoint":"e",)"
      R"("location":"","geography":"g\r","currency":"USD"})"
      "\n");
  batch.rows = 2;
  EXPECT_EQ(csv.encode(batch),
            "eu-west-1,aws,opt-in-not-required,true,ec2.eu-west-1.amazonaws.com,\"Europe, \"\"Ireland\"\"\nDublin\",,USD\n"
            "x,aws,not-opted-in,false,e,\"\",\"g\r\",USD\n");
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
      R"({"region":"eu-west-1","zone":"eu-west-1a","zone_id":null,"instance_type":"m7g.large",)"
      R"("product_description":"Linux/UNIX\tVPC","price":7,"timestamp":"2026-12-01T00:00:00Z"})"
      "\n"
      R"({"region":"us-east-1","zone":"us-east-1b","zone_id":"use1-az2","instance_type":"p5.48xlarge",)"
      R"("product_description":"Windows","price":12.345,"timestamp":"2026-12-01T00:00:00Z"})"
      "\n");
  EXPECT_EQ(table.render(table.encode(batch)),
            "region     zone        zone_id   instance_type  product_description   price  timestamp\n"
            "---------  ----------  --------  -------------  -------------------  ------  --------------------\n"
            "eu-west-1  eu-west-1a  -         m7g.large      Linux/UNIX VPC            7  2026-12-01T00:00:00Z\n"
            "us-east-1  us-east-1b  use1-az2  p5.48xlarge    Windows              12.345  2026-12-01T00:00:00Z\n");
}

}  // namespace
}  // namespace pricepipe::stages
