namespace MeshVolume.Model
{
    /// <summary>
    /// One throughput figure of Measure-MeshVolumeThroughput: writing or reading a file through
    /// one kind of mount, as the median of one or more runs.
    /// </summary>
    public sealed class ThroughputInfo
    {
        /// <summary>Volume, Bind or Tmpfs.</summary>
        public string MountType { get; set; }

        /// <summary>Write or Read.</summary>
        public string Operation { get; set; }

        /// <summary>Bytes written or read in each run.</summary>
        public long Bytes { get; set; }

        /// <summary>Bytes that dd moves in each system call.</summary>
        public long BlockSize { get; set; }

        /// <summary>Median elapsed time of the runs, in seconds.</summary>
        public double Seconds { get; set; }

        /// <summary>Bytes divided by Seconds, in mebibytes (1,048,576 bytes) per second.</summary>
        public double MBps { get; set; }

        /// <summary>Number of runs the median is taken over.</summary>
        public int Runs { get; set; }

        /// <summary>Elapsed time of each run, in seconds, in the order they ran.</summary>
        public double[] RunSeconds { get; set; }

        /// <summary>
        /// How dd ran, which decides what the figure means: conv=fsync for writes flushed to
        /// the device, iflag=direct for reads that bypass the page cache, page cache for reads
        /// served from memory.
        /// </summary>
        public string Method { get; set; }

        /// <summary>Clock that timed the runs: dd (its own report) or shell.</summary>
        public string Clock { get; set; }

        /// <summary>
        /// What was mounted: the volume's name, the bind mount's folder on the engine host, or
        /// tmpfs.
        /// </summary>
        public string Source { get; set; }

        /// <summary>
        /// File system type of the mount as stat -f names it inside the container, such as
        /// tmpfs, xfs or ext2/ext3, which is BusyBox's name for ext4 too. Null when unknown.
        /// </summary>
        public string FileSystem { get; set; }

        /// <summary>Image the measuring containers were made from.</summary>
        public string Image { get; set; }

        /// <summary>Engine endpoint the containers ran on.</summary>
        public string Engine { get; set; }

        public override string ToString() =>
            $"{MountType} {Operation}: {MBps:0.0} MiB/s";
    }
}
