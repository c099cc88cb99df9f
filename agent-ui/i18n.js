// Desk texts: zh-CN first (dealer staff), English on ?lang=en or the language switch.
window.I18N = {
  'zh-CN': {
    title: 'DCC 坐席工作台', username: '账号', password: '密码', login: '登录', logout: '退出',
    loginFailed: '登录失败：', state: '状态', ready: '就绪', notReady: '小休',
    states: { logged_out: '未登录', not_ready: '未就绪', ready: '就绪', reserved: '来电分配中', ringing: '振铃', talking: '通话中', wrap_up: '话后处理' },
    phone: '软电话', phoneOff: '未配置（没有 WebSocket 地址）', phoneRegistering: '注册中…', phoneRegistered: '已注册', phoneFailed: '注册失败：',
    autoAnswer: '自动接听', incoming: '来电', accept: '接听', decline: '拒绝', hangup: '挂断', hold: '保持', unhold: '恢复',
    from: '主叫', queue: '队列', customer: '客户', grade: '级别', noCustomer: '未识别客户',
    ringingIn: '软电话振铃', inCall: '通话中', ended: '通话结束', service: '服务状态', up: '就绪', down: '未就绪',
  },
  en: {
    title: 'DCC agent desk', username: 'Username', password: 'Password', login: 'Log in', logout: 'Log out',
    loginFailed: 'Login failed: ', state: 'State', ready: 'Ready', notReady: 'Break',
    states: { logged_out: 'Logged out', not_ready: 'Not ready', ready: 'Ready', reserved: 'Call reserved', ringing: 'Ringing', talking: 'Talking', wrap_up: 'Wrap-up' },
    phone: 'Softphone', phoneOff: 'not configured (no WebSocket address)', phoneRegistering: 'registering…', phoneRegistered: 'registered', phoneFailed: 'registration failed: ',
    autoAnswer: 'Auto-answer', incoming: 'Incoming call', accept: 'Accept', decline: 'Decline', hangup: 'Hang up', hold: 'Hold', unhold: 'Resume',
    from: 'From', queue: 'Queue', customer: 'Customer', grade: 'Grade', noCustomer: 'unknown caller',
    ringingIn: 'softphone ringing', inCall: 'in call', ended: 'call ended', service: 'Service', up: 'ready', down: 'not ready',
  },
};
