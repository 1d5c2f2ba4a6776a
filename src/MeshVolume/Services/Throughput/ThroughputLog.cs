using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Management.Automation;
using System.Text;
using System.Text.RegularExpressions;

namespace MeshVolume.Services.Throughput
{
    /// <summary>One timed dd command from a measuring container's log.</summary>
    public sealed class ThroughputAttempt
    {
        /// <summary>write or read.</summary>
        public string Operation { get; set; }

        /// <summary>Run number, from 1.</summary>
        public int Run { get; set; }

        /// <summary>fsync for writes; direct (O_DIRECT) or cached for reads.</summary>
        public string Method { get; set; }

        /// <summary>dd's exit status.</summary>
        public int Status { get; set; }

        /// <summary>Elapsed seconds; null when dd failed.</summary>
        public double? Seconds { get; set; }

        /// <summary>dd when dd reported the time, shell when the script's clock took it.</summary>
        public string Clock { get; set; }

        /// <summary>What dd wrote to its standard error.</summary>
        public string Messages { get; set; }
    }

    /// <summary>
    /// Parses the log that <see cref="ThroughputScript"/> writes into timed attempts.
    /// </summary>
    public sealed class ThroughputLog
    {
        // GNU coreutils dd ("copied, 0.0161 s, 521 MB/s") and BusyBox dd built with its third
        // status line ("copied, 0.011565 seconds, 691.8MB/s") print their elapsed time after
        // conv=fsync's fsync. GNU dd reads it from gethrxtime, a monotonic clock where available.
        private static readonly Regex DdSeconds = new Regex(
            @"copied,\s*([0-9]+(?:[.,][0-9]+)?(?:e[-+]?[0-9]+)?)\s*s",
            RegexOptions.IgnoreCase | RegexOptions.CultureInvariant);

        // /proc/uptime counts hundredths of a second, so its difference may be off by 0.02 s.
        // A larger gap to the wall clock, beyond this margin plus 1 %, means a clock step.
        private const double UptimeTolerance = 0.05;

        private ThroughputLog(
            IReadOnlyList<ThroughputAttempt> attempts, bool completed, string fileSystem)
        {
            Attempts = attempts;
            Completed = completed;
            FileSystem = fileSystem;
        }

        /// <summary>Attempts in the order the script made them.</summary>
        public IReadOnlyList<ThroughputAttempt> Attempts { get; }

        /// <summary>True when the script reached its end.</summary>
        public bool Completed { get; }

        /// <summary>
        /// File system type of the mount as stat -f names it, such as tmpfs, xfs or ext2/ext3,
        /// which is BusyBox's name for ext4 too. Null when stat could not tell.
        /// </summary>
        public string FileSystem { get; }

        /// <summary>
        /// Parses a log. Throws MeasurementFailed when a successful attempt has no usable time:
        /// no sub-second clock in the image, or a wall clock that was stepped during the run.
        /// </summary>
        public static ThroughputLog Parse(string text)
        {
            var attempts = new List<ThroughputAttempt>();
            bool completed = false;
            string fileSystem = null;
            ThroughputAttempt current = null;
            var messages = new StringBuilder();
            foreach (string line in (text ?? string.Empty).Split('\n'))
            {
                string[] fields = line.Trim().Split(
                    new[] { ' ' }, StringSplitOptions.RemoveEmptyEntries);
                if (fields.Length == 4 && fields[0] == "begin")
                {
                    current = new ThroughputAttempt
                    {
                        Operation = fields[1],
                        Run = int.Parse(fields[2], CultureInfo.InvariantCulture),
                        Method = fields[3],
                    };
                    messages.Clear();
                }
                else if (fields.Length == 6 && fields[0] == "end" && current != null)
                {
                    current.Messages = messages.ToString().Trim();
                    Finish(current, fields);
                    attempts.Add(current);
                    current = null;
                }
                else if (fields.Length == 2 && fields[0] == "filesystem" && current == null)
                {
                    fileSystem = fields[1] == "UNKNOWN" ? null : fields[1];
                }
                else if (fields.Length == 1 && fields[0] == "done")
                {
                    completed = true;
                }
                else if (current != null)
                {
                    messages.AppendLine(line.TrimEnd());
                }
            }

            return new ThroughputLog(attempts, completed, fileSystem);
        }

        /// <summary>Median of the values; the mean of the middle two for an even count.</summary>
        public static double Median(IEnumerable<double> values)
        {
            double[] sorted = values.OrderBy(v => v).ToArray();
            if (sorted.Length == 0)
            {
                throw new ArgumentException(
                    "The median of no values is undefined.", nameof(values));
            }

            int middle = sorted.Length / 2;
            return sorted.Length % 2 == 1
                ? sorted[middle]
                : (sorted[middle - 1] + sorted[middle]) / 2;
        }

        // Fields: end STATUS WALL0 WALL1 UPTIME0 UPTIME1.
        private static void Finish(ThroughputAttempt attempt, string[] fields)
        {
            attempt.Status = int.Parse(fields[1], CultureInfo.InvariantCulture);
            if (attempt.Status != 0)
            {
                return;
            }

            Match reported = DdSeconds.Match(attempt.Messages);
            if (reported.Success)
            {
                attempt.Seconds = ParseNumber(reported.Groups[1].Value.Replace(',', '.'));
                attempt.Clock = "dd";
            }
            else
            {
                attempt.Seconds = ShellSeconds(attempt, fields);
                attempt.Clock = "shell";
            }

            if (!(attempt.Seconds > 0))
            {
                throw new MeshVolumeException(
                    $"The {attempt.Operation} of run {attempt.Run} took no measurable time. " +
                    "Use a larger -SizeMB.", MeshErrors.MeasurementFailed,
                    ErrorCategory.InvalidResult);
            }
        }

        private static double ShellSeconds(ThroughputAttempt attempt, string[] fields)
        {
            // bash writes $EPOCHREALTIME with the locale's decimal separator.
            string start = fields[2].Replace(',', '.');
            double? wallStart = ParseNumber(start);
            double? wallEnd = ParseNumber(fields[3].Replace(',', '.'));
            double? uptimeStart = ParseNumber(fields[4]);
            double? uptimeEnd = ParseNumber(fields[5]);
            if (wallStart == null || wallEnd == null || !start.Contains("."))
            {
                throw new MeshVolumeException(
                    "The image offers no clock finer than a second: its dd reports no time, its " +
                    "shell has no $EPOCHREALTIME, and its date does not support +%s.%N (the " +
                    $"script read '{fields[2]}'). Use an image with BusyBox 1.35 or later, or " +
                    "with GNU coreutils.", MeshErrors.MeasurementFailed,
                    ErrorCategory.NotImplemented);
            }

            double wall = wallEnd.Value - wallStart.Value;
            if (uptimeStart != null && uptimeEnd != null)
            {
                double uptime = uptimeEnd.Value - uptimeStart.Value;
                if (wall < 0 || Math.Abs(wall - uptime) > UptimeTolerance + uptime / 100)
                {
                    throw new MeshVolumeException(
                        $"The wall clock changed during the {attempt.Operation} of run " +
                        $"{attempt.Run}: it counted {wall:0.000} s while the monotonic uptime " +
                        $"counted {uptime:0.00} s. Run the measurement again.",
                        MeshErrors.MeasurementFailed, ErrorCategory.InvalidResult);
                }
            }

            return wall;
        }

        private static double? ParseNumber(string text)
        {
            return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture,
                out double value) ? value : (double?)null;
        }
    }
}
