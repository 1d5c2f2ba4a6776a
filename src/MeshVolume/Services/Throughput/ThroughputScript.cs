using System.Globalization;
using System.Text;

namespace MeshVolume.Services.Throughput
{
    /// <summary>
    /// Builds the POSIX shell script that a measuring container runs: for each run, dd writes a
    /// scratch file with conv=fsync, reads it back, and the script removes the file.
    /// </summary>
    /// <remarks>
    /// The log at <see cref="LogPath"/> starts with "filesystem TYPE" from stat -f. For every
    /// step it then contains "begin OPERATION RUN METHOD", dd's messages, and "end STATUS WALL0
    /// WALL1 UPTIME0 UPTIME1". The wall clock is $EPOCHREALTIME (BusyBox ash, bash 5) or
    /// date +%s.%N, read without starting a process where the shell allows. /proc/uptime is a
    /// monotonic clock in hundredths of a second, logged to detect a stepped wall clock.
    /// </remarks>
    public static class ThroughputScript
    {
        /// <summary>Where the mount under test appears inside the container.</summary>
        public const string MountPath = "/measure";

        /// <summary>Log file in the container's own file system, read after it exits.</summary>
        public const string LogPath = "/meshvolume-throughput.log";

        /// <summary>Exit code when a write fails.</summary>
        public const int WriteFailed = 3;

        /// <summary>Exit code when a read fails, with O_DIRECT and without.</summary>
        public const int ReadFailed = 4;

        /// <summary>Exit code when the scratch file cannot be removed.</summary>
        public const int RemoveFailed = 5;

        /// <summary>
        /// Returns the script. With <paramref name="directRead"/>, reads use iflag=direct and fall
        /// back to a plain read only when dd rejects it; the log then shows both attempts.
        /// </summary>
        public static string Build(
            ThroughputRequest request, string scratchFileName, bool directRead)
        {
            string block = request.BlockSize.ToString(CultureInfo.InvariantCulture);
            string count = request.BlockCount.ToString(CultureInfo.InvariantCulture);
            string runs = request.Runs.ToString(CultureInfo.InvariantCulture);
            string read = $"dd if=\"$f\" of=/dev/null bs={block}";
            string readStep = directRead
                ? $"timed read $i direct {read} iflag=direct ||\n" +
                  $"    timed read $i cached {read} || exit {ReadFailed}\n"
                : $"timed read $i cached {read} || exit {ReadFailed}\n";

            var script = new StringBuilder();
            script.Append($"exec >{LogPath} 2>&1\n");
            script.Append($"f='{MountPath}/{scratchFileName}'\n");
            script.Append("trap 'rm -f \"$f\"' EXIT\n");
            script.Append($"echo \"filesystem $(stat -f -c %T {MountPath} 2>/dev/null)\"\n");
            script.Append("if [ -n \"${EPOCHREALTIME:-}\" ]; then clock='now=$EPOCHREALTIME'\n");
            script.Append("else clock='now=$(date +%s.%N)'; fi\n");
            script.Append("timed() {\n");
            script.Append("  echo \"begin $1 $2 $3\"; shift 3\n");
            script.Append("  read u0 _ </proc/uptime; eval \"$clock\"; w0=$now\n");
            script.Append("  \"$@\"; status=$?\n");
            script.Append("  eval \"$clock\"; w1=$now; read u1 _ </proc/uptime\n");
            script.Append("  echo \"end $status $w0 $w1 $u0 $u1\"; return $status\n");
            script.Append("}\n");
            script.Append("i=1\n");
            script.Append($"while [ $i -le {runs} ]; do\n");
            script.Append($"  timed write $i fsync dd if=/dev/zero of=\"$f\" bs={block} " +
                $"count={count} conv=fsync || exit {WriteFailed}\n");
            script.Append("  " + readStep);
            script.Append($"  rm -f \"$f\" || exit {RemoveFailed}\n");
            script.Append("  i=$((i + 1))\n");
            script.Append("done\n");
            script.Append("echo done\n");
            return script.ToString();
        }

        /// <summary>Returns a script that only removes the scratch file, for cleanup.</summary>
        public static string BuildRemoval(string scratchFileName)
        {
            return $"rm -f '{MountPath}/{scratchFileName}'";
        }
    }
}
