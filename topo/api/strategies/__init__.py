"""What the API server does with an object of each kind, kind by kind, as Kubernetes'
registry strategies do: defaults, validation with field paths, what an update may
change, what a delete does. Pure: objects and the time in, objects or ApiError out."""
