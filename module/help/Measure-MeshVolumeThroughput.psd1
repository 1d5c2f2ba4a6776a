@{
    Synopsis    = 'Measures how fast a container writes and reads through a volume, a bind mount and a tmpfs mount.'
    Description = @'
Measure-MeshVolumeThroughput runs a short-lived container for each kind of mount. The container writes a scratch file of -SizeMB mebibytes with dd in blocks of -BlockSize, reads it back, and removes it; with -Repeat it does this several times and each row reports the median. It returns two rows for each mount, one for Write and one for Read.

Volume measures a new scratch volume (driver local), or, with -Name, existing volumes: the scratch file is written at the volume's root under a name starting with .meshvolume-throughput- and removed afterwards, and nothing else in the volume is touched. Bind measures a new folder under -BindPath (the system temp folder by default), bind-mounted into the container; it needs an engine on this computer, reached through a unix socket or named pipe, and is skipped with a warning for a remote engine. Tmpfs measures a tmpfs mount, which lives in the engine host's memory. A warning says so when a volume or the bind folder turns out to be on tmpfs too, because its figures then show memory speed.

What the figures mean: a write is dd with conv=fsync, so the data has reached the storage device (as the container's kernel sees it) before the time stops, and the page cache cannot make a slow disk look fast. A read of a volume or bind mount is dd with iflag=direct (O_DIRECT), so it comes from the device, not from the page cache that the write just filled; it reads one block of -BlockSize at a time without read-ahead, so a buffered read of uncached data may be faster on storage that benefits from read-ahead. When the file system rejects O_DIRECT, the command reads through the page cache, writes a warning, and the row's Method says "page cache" in place of "iflag=direct". A tmpfs read always comes from memory, because that is where tmpfs keeps its files.

How the time is taken: inside the container, around each dd command only, so neither container start-up nor mounting is counted. When dd reports its own elapsed time, as GNU coreutils dd does and BusyBox dd does when built with its rate line, that time is used: both take it from a monotonic clock after conv=fsync's fsync. Otherwise the shell reads the wall clock in microseconds ($EPOCHREALTIME, which the ash of BusyBox 1.35 and bash 5 provide, else date +%s.%N) before and after dd, which also counts starting the dd process (about a millisecond), and /proc/uptime (a monotonic clock in hundredths of a second) checks that the wall clock was not stepped in between. The row's Clock property says which was used.

The image must already exist on the engine: the command never pulls one, and a missing image is the error ImageNotFound. It needs /bin/sh, dd and rm, as busybox has. The containers run as root with network mode none, the log driver none and the label meshvolume.measure=1; the scratch volume carries that label too. Every container, volume, folder and scratch file the command makes is removed when it ends, also after an error or Ctrl+C.
'@
    Parameters  = @{
        Name      = 'Names of existing volumes to measure in place of a new scratch volume. Each one gets a scratch file at its root for the duration of the measurement. Accepts the Name property of piped objects, such as the output of Get-MeshVolume. -MountType must include Volume.'
        Image     = 'Image the measuring containers are made from, such as busybox:latest. It must exist on the engine; it is never pulled. It needs /bin/sh, dd and rm.'
        MountType = 'Kinds of mount to measure: Volume, Bind, Tmpfs, or several of them. Defaults to all three.'
        SizeMB    = 'Amount of data written and then read in each run, in mebibytes (1,048,576 bytes). Defaults to 256. Larger amounts give steadier figures; a tmpfs run holds this much in memory.'
        BlockSize = 'Bytes dd moves in each system call: a number of bytes, or a number followed by K, M or G (powers of 1024, so 1M is 1,048,576 bytes). It must be a multiple of 512, because reads use O_DIRECT, and must divide the amount evenly. Defaults to 1M.'
        Repeat    = 'Number of runs, from 1 to 100. Each row reports the median time of the runs; RunSeconds lists every run. Defaults to 1.'
        BindPath  = 'Folder on the engine''s host under which the bind-mounted folder is made and then removed, such as a folder on the disk you want to measure. Defaults to the system temp folder, which on some systems is itself a tmpfs.'
    }
    Examples    = @(
        @{
            Title   = 'Measure all three kinds of mount'
            Code    = 'Measure-MeshVolumeThroughput -Image busybox:latest'
            Remarks = 'Writes and reads 256 MiB once through a scratch volume, a bind mount of a temp folder and a tmpfs mount, and returns six rows.'
        }
        @{
            Title   = 'Measure an existing volume five times'
            Code    = 'Get-MeshVolume -Name app_db | Measure-MeshVolumeThroughput -Image busybox:latest -MountType Volume -SizeMB 1024 -Repeat 5'
            Remarks = 'Writes a 1 GiB scratch file into the volume app_db five times, reads it back each time, removes it, and reports the median write and read rates.'
        }
        @{
            Title   = 'Compare block sizes on the disk that holds /srv'
            Code    = '''4K'', ''64K'', ''1M'' | ForEach-Object { Measure-MeshVolumeThroughput -Image busybox:latest -MountType Bind -BindPath /srv -BlockSize $_ -Repeat 3 }'
            Remarks = 'Shows how the block size changes the write and read rates of a bind mount under /srv.'
        }
        @{
            Title   = 'Export the figures'
            Code    = 'Measure-MeshVolumeThroughput -Image busybox:latest -Repeat 3 | Export-Csv -Path throughput.csv -NoTypeInformation'
            Remarks = 'Every property, including RunSeconds, Clock and Engine, is in the objects; the table shows only the main columns.'
        }
    )
    Inputs      = @(@{ Type = 'System.Management.Automation.PSObject'; Description = 'Objects with a Name property, such as the output of Get-MeshVolume, bound to -Name.' })
    Outputs     = @(@{ Type = 'MeshVolume.Model.ThroughputInfo'; Description = 'One row for each mount and operation: MountType (Volume, Bind, Tmpfs), Operation (Write, Read), Bytes, BlockSize, Seconds (median), MBps (mebibytes per second), Runs, RunSeconds, Method (conv=fsync, iflag=direct or page cache: how dd ran, which decides what the figure means), Clock (dd or shell), Source (the volume name, the bind folder, or tmpfs), FileSystem (the mount''s file system type as stat -f names it inside the container), Image and Engine.' })
    Notes       = @'
dd writes zeros. Storage that compresses or deduplicates data, such as ZFS or btrfs with compression, or some SAN arrays, stores zeros almost for free, so its Write figure is higher than for real data.

The figures are for one sequential stream at a time. They do not show how the storage behaves with many small files or with several writers at once.

For a remote engine, the figures describe the engine's host, not this computer.
'@
}
