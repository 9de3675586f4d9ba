package api

import (
	"fmt"
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"
)

// taskParam parses the task id of the path. Kafka Connect answers a task id
// that is not an integer with 404, the resource not existing; so do we.
func taskParam(c *gin.Context) (int, error) {
	raw := c.Param("task")
	id, err := strconv.Atoi(raw)
	if err != nil || id < 0 {
		return 0, &httpError{http.StatusNotFound, fmt.Sprintf("task id %q is not a non-negative integer", raw)}
	}
	return id, nil
}

func taskWhat(name string, task int) string {
	return fmt.Sprintf("task %d of connector %q", task, name)
}

func (s *Server) listTasks(c *gin.Context) {
	name := c.Param("name")
	ctx, cancel := s.requestContext(c)
	defer cancel()
	tasks, err := s.ctl.Tasks(ctx, name)
	if err != nil {
		s.fail(c, err, connectorWhat(name))
		return
	}
	writeJSON(c, http.StatusOK, normalizeTasks(tasks))
}

func (s *Server) getTaskStatus(c *gin.Context) {
	name := c.Param("name")
	task, err := taskParam(c)
	if err != nil {
		s.fail(c, err, connectorWhat(name))
		return
	}
	ctx, cancel := s.requestContext(c)
	defer cancel()
	st, err := s.ctl.TaskStatus(ctx, name, task)
	if err != nil {
		s.fail(c, err, taskWhat(name, task))
		return
	}
	writeJSON(c, http.StatusOK, st)
}

func (s *Server) restartTask(c *gin.Context) {
	name := c.Param("name")
	task, err := taskParam(c)
	if err != nil {
		s.fail(c, err, connectorWhat(name))
		return
	}
	ctx, cancel := s.requestContext(c)
	defer cancel()
	if err := s.ctl.RestartTask(ctx, name, task); err != nil {
		s.fail(c, err, taskWhat(name, task))
		return
	}
	c.Status(http.StatusNoContent)
}
