import { mount } from '@vue/test-utils'
import { describe, expect, it } from 'vitest'
import { defineComponent, h, nextTick, ref, withDirectives } from 'vue'
import { vCards } from './cards'

describe('v-cards', () => {
  it('labels each cell with its column heading, also in rows added later', async () => {
    const rows = ref(['a'])
    const Table = defineComponent({
      setup: () => () =>
        withDirectives(
          h('table', [
            h('thead', [h('tr', [h('th', 'Name'), h('th', 'State')])]),
            h('tbody', [
              ...rows.value.map((r) => h('tr', { key: r }, [h('td', r), h('td', { 'data-label': 'Own' }, 'x')])),
              h('tr', { key: 'empty' }, [h('td', { colspan: 2 }, 'empty')]),
            ]),
          ]),
          [[vCards]],
        ),
    })
    const wrapper = mount(Table)
    expect(wrapper.find('table').classes()).toContain('responsive')
    expect(wrapper.findAll('td').map((td) => td.attributes('data-label'))).toEqual(['Name', 'Own', undefined])
    rows.value = ['a', 'b']
    await nextTick()
    expect(wrapper.findAll('tbody tr')[1]?.find('td').attributes('data-label')).toBe('Name')
  })
})
