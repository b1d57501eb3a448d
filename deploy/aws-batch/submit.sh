#!/bin/sh
# Submits one sharded snapshot: an array job of PRICEPIPE_SHARD_COUNT children
# (AWS Batch sets AWS_BATCH_JOB_ARRAY_INDEX in each: shard index + 1), then
# the merge, which AWS Batch starts once every child has succeeded.
# Usage: deploy/aws-batch/submit.sh QUEUE [SNAPSHOT_ID]
set -eu
queue=$1
id=${2:-$(date -u +%Y-%m-%dT%H-%M-%SZ)}
shards=4   # the job definition's PRICEPIPE_SHARD_COUNT
array=$(aws batch submit-job --job-name "pricepipe-$id" --job-queue "$queue" \
  --job-definition pricepipe-snapshot-shard --array-properties "size=$shards" \
  --parameters "snapshot_id=$id" --query jobId --output text)
aws batch submit-job --job-name "pricepipe-$id-merge" --job-queue "$queue" \
  --job-definition pricepipe-snapshot-merge --depends-on "jobId=$array" \
  --parameters "snapshot_id=$id" --query jobId --output text
