"""facereenact-batch: converts a whole lecture archive, one Ray task per row of a CSV file.

Each row runs the project's one conversion pipeline, pipelines/lecture.sh, under a guard that
takes the conversion down with the Ray worker running it. Modules, one concept each:

  jobs      the CSV file: rows, their checks, which rows need a GPU
  guard     the process that ties a conversion's process group to the Ray worker's life
  task      one attempt at one row: temporary output, rename on success, attempt record
  state     the attempt records (one JSON file per attempt in the state folder)
  media     durations read with gst-discoverer-1.0
  progress  the overall bar, a line per finished row, the summary table
  cli       the facereenact-batch command
"""
