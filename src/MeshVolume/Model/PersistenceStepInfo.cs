using System;

namespace MeshVolume.Model
{
    /// <summary>One step of Test-MeshVolumePersistence and how it went.</summary>
    public sealed class PersistenceStepInfo
    {
        /// <summary>Step name, such as "Write sentinel" or "Read sentinel".</summary>
        public string Name { get; set; }

        public bool Passed { get; set; }

        public TimeSpan Duration { get; set; }

        /// <summary>What the step did, or why it failed.</summary>
        public string Detail { get; set; }

        public override string ToString() => $"{Name}: {(Passed ? "passed" : "failed")}";
    }
}
