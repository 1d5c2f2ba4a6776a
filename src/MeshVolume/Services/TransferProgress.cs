using System;
using System.Diagnostics;
using System.Threading;

namespace MeshVolume.Services
{
    /// <summary>
    /// Counts bytes and files moved by a transfer from any thread; the cmdlet samples it on
    /// the pipeline thread to write progress records.
    /// </summary>
    public sealed class TransferProgress
    {
        private readonly Stopwatch _clock = Stopwatch.StartNew();
        private long _bytes;
        private long _files;

        /// <summary>Total expected bytes, when known (the volume's size from the engine).</summary>
        public long? TotalBytes { get; set; }

        public long Bytes => Interlocked.Read(ref _bytes);

        public long Files => Interlocked.Read(ref _files);

        public TimeSpan Elapsed => _clock.Elapsed;

        /// <summary>Bytes per second since the transfer started.</summary>
        public double Rate => Elapsed.TotalSeconds > 0 ? Bytes / Elapsed.TotalSeconds : 0;

        public void AddBytes(long count) => Interlocked.Add(ref _bytes, count);

        public void AddFile() => Interlocked.Increment(ref _files);

        /// <summary>Status text in the user's terms, such as "1.2 GiB, 3,456 files, 210 MB/s".</summary>
        public string Describe()
        {
            string total = TotalBytes.HasValue ? " of about " + FormatBytes(TotalBytes.Value) : "";
            return $"{FormatBytes(Bytes)}{total}, {Files:N0} files, {Rate / 1e6:N0} MB/s";
        }

        public static string FormatBytes(long bytes)
        {
            if (bytes >= 1L << 30) return $"{bytes / (double)(1L << 30):N2} GiB";
            if (bytes >= 1L << 20) return $"{bytes / (double)(1L << 20):N1} MiB";
            if (bytes >= 1L << 10) return $"{bytes / (double)(1L << 10):N1} KiB";
            return $"{bytes} B";
        }
    }
}
